import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Segment's scheme: HTTP Basic with the write key as the user name and an empty password (any
 * password is ignored). Keys are compared as digests in constant time.
 */
export function writeKeyChecker(writeKeys: readonly string[]): (authorization: string | undefined) => void {
  const known = writeKeys.filter((key) => key.length > 0).map(digest);
  return (authorization) => {
    const match = authorization ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization) : null;
    if (!match) {
      throw new HttpError(401, 'unauthorized', 'Basic authentication with a write key as the user name is required', undefined, {
        'www-authenticate': 'Basic realm="lifeline"',
      });
    }
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (!matchesAny(known, colon === -1 ? decoded : decoded.slice(0, colon))) {
      throw new HttpError(401, 'unauthorized', 'unknown write key', undefined, { 'www-authenticate': 'Basic realm="lifeline"' });
    }
  };
}

/** Operator routes: `Authorization: Bearer <admin key>`. */
export function adminKeyChecker(adminKeys: readonly string[]): (authorization: string | undefined) => void {
  const known = adminKeys.filter((key) => key.length > 0).map(digest);
  return (authorization) => {
    const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!match || !matchesAny(known, match[1]!)) {
      throw new HttpError(401, 'unauthorized', 'an admin key is required: Authorization: Bearer <LIFELINE_ADMIN_KEY>', undefined, {
        'www-authenticate': 'Bearer realm="lifeline"',
      });
    }
  };
}

/**
 * Pages a browser opens (the HTML report): the admin key as Bearer, or as the password of HTTP Basic
 * (any user name), so the browser's own sign-in prompt works and the key stays out of URLs.
 */
export function adminPageChecker(adminKeys: readonly string[]): (authorization: string | undefined) => void {
  const known = adminKeys.filter((key) => key.length > 0).map(digest);
  return (authorization) => {
    const bearer = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    const basic = authorization ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization) : null;
    const decoded = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8') : '';
    const key = bearer ? bearer[1]! : basic && decoded.includes(':') ? decoded.slice(decoded.indexOf(':') + 1) : undefined;
    if (key === undefined || !matchesAny(known, key)) {
      throw new HttpError(401, 'unauthorized', 'the admin key is required: as the password of Basic auth (any user name), or Authorization: Bearer <LIFELINE_ADMIN_KEY>', undefined, {
        'www-authenticate': 'Basic realm="lifeline reports", charset="UTF-8"',
      });
    }
  };
}

/** Compares against every key, in constant time, so timing reveals neither which key nor how much matched. */
function matchesAny(known: Buffer[], candidate: string): boolean {
  const given = digest(candidate);
  let ok = false;
  for (const key of known) ok = timingSafeEqual(key, given) || ok;
  return ok;
}
