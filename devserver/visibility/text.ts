// Text attributes match word by word, as Elasticsearch's standard analyzer does: Unicode word
// boundaries (UAX #29), lower-cased, punctuation dropped. Intl.Segmenter implements UAX #29, so
// "order-processing-v2" gives order, processing, v2 while "payment_retry_handler" stays whole.
const segmenter = new Intl.Segmenter('en', { granularity: 'word' });

// Segmenting costs ~9 µs a value and a list re-reads the same values on every call, so recent
// results are kept; the bound keeps memory flat when values keep changing.
const cache = new Map<string, readonly string[]>();
const cacheLimit = 10_000;

export function textTokens(text: string): readonly string[] {
  const cached = cache.get(text);
  if (cached) return cached;
  const tokens: string[] = [];
  for (const segment of segmenter.segment(text)) {
    if (segment.isWordLike) tokens.push(segment.segment.toLowerCase());
  }
  if (cache.size >= cacheLimit) cache.clear();
  cache.set(text, tokens);
  return tokens;
}
