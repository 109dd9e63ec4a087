#!/usr/bin/env node
// Validates scenario files against the lockstep scenario JSON Schema (draft 2020-12) with Ajv.
//
//   node validate.mjs [--expect-invalid] SCHEMA FILE...
//
// Prints "FILE: ok" or "FILE: invalid: <path>: <message>" for each file. Exits 0 when every file
// is valid, or with --expect-invalid when every file is invalid (the bad-input corpus); 1
// otherwise; 2 on a usage error or an unreadable schema.
import { readFileSync } from "node:fs";
import Ajv2020 from "ajv/dist/2020.js";

const args = process.argv.slice(2);
const expectInvalid = args.includes("--expect-invalid");
const positional = args.filter((a) => a !== "--expect-invalid");
if (positional.length < 2 || positional.some((a) => a.startsWith("--"))) {
  console.error("usage: node validate.mjs [--expect-invalid] SCHEMA FILE...");
  process.exit(2);
}
const [schemaFile, ...files] = positional;

let validate;
try {
  const schema = JSON.parse(readFileSync(schemaFile, "utf8"));
  // Strict mode: unknown keywords, ignored keywords and loose types in the schema are errors.
  // Union types ("type": ["string", "integer"]) are how the schema says "an expression or a
  // literal", so they are allowed explicitly. verbose gives each error its schema, which the
  // oneOf summaries below use.
  const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, verbose: true });
  validate = ajv.compile(schema);
} catch (e) {
  console.error(`${schemaFile}: cannot use schema: ${e.message}`);
  process.exit(2);
}

// A required-keyword name of a oneOf branch ({ "required": ["acquire"] } -> "acquire").
function branchKey(branch) {
  return branch && Array.isArray(branch.required) && branch.required.length === 1 ? branch.required[0] : null;
}

function describe(err) {
  const p = err.params || {};
  let msg = err.message || err.keyword;
  if (err.keyword === "not" && err.schema && Array.isArray(err.schema.enum)) {
    msg = `${JSON.stringify(err.data)} is reserved (a keyword or builtin of the expression language, or name or i)`;
  } else if (err.keyword === "false schema") {
    msg = "is not allowed here";
  } else if (p.additionalProperty !== undefined) {
    msg += ` (${JSON.stringify(p.additionalProperty)})`;
  } else if (p.allowedValues !== undefined) {
    msg += ` (${p.allowedValues.map((v) => JSON.stringify(v)).join(", ")})`;
  } else if (p.allowedValue !== undefined) {
    msg += ` (${JSON.stringify(p.allowedValue)})`;
  }
  return `${err.instancePath || "/"}: ${msg}`;
}

// The error to show. With allErrors off, Ajv's list is the path of the first failure: nested
// errors first, then the combinators that wrap them ("must match then schema", "property name
// must be valid"). A failed oneOf whose branches are "has property X" alternatives (exactly one
// statement keyword; an array's value or size) is summarised in one line, which says more than
// its first branch's "must have required property 'acquire'".
function firstError(errors) {
  const oneOf = errors.find((e) => e.keyword === "oneOf" && Array.isArray(e.schema) && e.schema.every((b) => branchKey(b) !== null));
  if (oneOf) {
    const keys = oneOf.schema.map(branchKey);
    const where = oneOf.instancePath || "/";
    const passing = oneOf.params && oneOf.params.passingSchemas;
    if (Array.isArray(passing)) {
      return `${where}: must have only one of ${passing.map((k) => JSON.stringify(keys[k])).join(" and ")}`;
    }
    return `${where}: must have one of the properties ${keys.map((k) => JSON.stringify(k)).join(", ")}`;
  }
  const first = errors[0];
  const named = errors.find((e) => e.keyword === "propertyNames" && e.params && e.params.propertyName !== undefined);
  if (named && first.instancePath === named.instancePath) {
    const inner = describe(first).slice((first.instancePath || "/").length + 2);
    return `${named.instancePath || "/"}: property name ${JSON.stringify(named.params.propertyName)}: ${inner}`;
  }
  return describe(first);
}

let failures = 0;
for (const file of files) {
  let verdict;
  try {
    // A scenario is UTF-8: invalid bytes are an error here, not replacement characters.
    const text = new TextDecoder("utf-8", { fatal: true }).decode(readFileSync(file));
    const data = JSON.parse(text);
    verdict = validate(data) ? null : firstError(validate.errors);
  } catch (e) {
    if (e.code === "ERR_ENCODING_INVALID_ENCODED_DATA") verdict = "not UTF-8";
    else verdict = e.code ? `cannot read: ${e.message}` : `not JSON: ${e.message}`;
  }
  console.log(verdict === null ? `${file}: ok` : `${file}: invalid: ${verdict}`);
  if ((verdict === null) === expectInvalid) failures++;
}
process.exit(failures === 0 ? 0 : 1);
