import type { Engine } from './engine.ts';
import { invalidArgument } from './errors.ts';
import type { Handler } from './grpc-handlers.ts';
import { typeFromEnum, typeToEnum } from './search-attributes.ts';

/** OperatorService: registering and listing custom search attributes, as `temporal operator search-attribute`. */
export function operatorServiceHandlers(engine: Engine): Record<string, Handler> {
  return {
    AddSearchAttributes: (req) => {
      engine.requireNamespace(req.namespace || [...engine.namespaces][0]);
      for (const [name, value] of Object.entries(req.searchAttributes ?? {})) {
        const type = typeFromEnum(value as string);
        if (!type) throw invalidArgument(`search attribute ${name}: unknown type ${String(value)}`);
        engine.searchAttributes.register(name, type);
      }
      return {};
    },
    ListSearchAttributes: () => ({
      customAttributes: Object.fromEntries(
        [...engine.searchAttributes.customAttributes()].map(([name, type]) => [name, typeToEnum(type)]),
      ),
      systemAttributes: {},
      storageSchema: {},
    }),
  };
}
