import type { CodegenConfig } from "@graphql-codegen/cli";
import { printSchema } from "graphql";
import { schema } from "./src/schema/index.js";

// The schema is built from code (Pothos); codegen prints it and types the test documents against it.
const config: CodegenConfig = {
  schema: printSchema(schema),
  documents: ["test/helpers/operations.ts", "test/helpers/fleet-operations.ts"],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    "src/schema/schema.graphql": { plugins: ["schema-ast"] },
    "test/gql/": {
      preset: "client",
      presetConfig: { fragmentMasking: false },
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: "string" } },
    },
  },
};

export default config;
