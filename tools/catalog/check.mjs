#!/usr/bin/env node
// Validates catalog files against FORMAT.md. Exit code 1 with a list of violations on failure.
//   node check.mjs                      generated files + curated.json (if present) in Butterbase.Portal/Catalog/Data
//   node check.mjs --curated FILE       only a hand-written curated.json (no size thresholds)
//   node check.mjs --data DIR           another data directory
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import {
  SLUG_RE, TOOL_NAME_RE, ANTHROPIC_NAME_RE, PROP_NAME_RE, CATEGORIES, ALLOWED_KEYWORDS, ALLOWED_FORMATS,
  JSON_TYPES, MAX_ENUM, MAX_DEPTH, MAX_PROPS_PER_TOOL, MAX_SCHEMA_DESC, MAX_TOOL_DESC, MAX_TOOLKIT_DESC,
  IN_VALUES, CONTENT_TYPES, JSON_CONTENT_TYPE_RE, CLIENT_AUTH, CURATED_SLUGS, isAbsoluteHttps,
} from './lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (n) => { const i = args.indexOf(n); return i >= 0 ? args[i + 1] : null; };
const DATA = path.resolve(opt('--data') || path.join(HERE, '../../Butterbase.Portal/Catalog/Data'));
const curatedOnly = opt('--curated');
const MIN_TOOLKITS = 1000, MIN_TOOLS = 15000;
const RUNTIME_PLACEHOLDERS = new Set(['client_id', 'access_token', 'refresh_token']); // filled by the OAuth engine
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

const errors = [];
const MAX_ERRORS_SHOWN = 200;
const err = (where, msg) => errors.push(`${where}: ${msg}`);

const isObj = (x) => x && typeof x === 'object' && !Array.isArray(x);
const isStr = (x) => typeof x === 'string';
const nullOrStr = (x) => x === null || typeof x === 'string';

// ---------------------------------------------------------------------------------------------
// Strict parameter schemas (OpenAI strict mode subset + Anthropic rules), FORMAT.md

function isArray(s) { return typesOf(s).includes('array') || (Array.isArray(s.anyOf) && s.anyOf.some((a) => isObj(a) && isArray(a))); }
function typesOf(s) { return Array.isArray(s.type) ? s.type : s.type !== undefined ? [s.type] : []; }

function checkSchema(s, where, ctx, depth, strict) {
  if (!isObj(s)) { err(where, 'schema is not an object'); return; }
  if (depth > MAX_DEPTH) { err(where, `nesting depth > ${MAX_DEPTH}`); return; }
  for (const k of Object.keys(s)) if (!ALLOWED_KEYWORDS.has(k)) err(where, `keyword "${k}" not allowed`);
  if (s.$ref !== undefined) {
    if (!isStr(s.$ref) || !s.$ref.startsWith('#/$defs/')) err(where, `$ref must be "#/$defs/Name", got ${JSON.stringify(s.$ref)}`);
    else { const n = s.$ref.slice(8); if (!ctx.defs.has(n)) err(where, `$ref to missing def "${n}"`); else ctx.refs.add(n); }
    const others = Object.keys(s).filter((k) => k !== '$ref' && k !== 'description' && k !== 'title');
    if (others.length) err(where, `$ref with sibling keywords ${others.join(',')}`);
    return;
  }
  if (s.description !== undefined && (!isStr(s.description) || s.description.length > MAX_SCHEMA_DESC)) err(where, `description must be a string ≤ ${MAX_SCHEMA_DESC} chars`);
  if (s.title !== undefined && !isStr(s.title)) err(where, 'title must be a string');
  if (s.anyOf !== undefined) {
    if (!Array.isArray(s.anyOf) || !s.anyOf.length) { err(where, 'anyOf must be a non-empty array'); return; }
    s.anyOf.forEach((m, i) => checkSchema(m, `${where}.anyOf[${i}]`, ctx, depth, strict));
    if (s.type !== undefined) err(where, 'anyOf together with type');
    return;
  }
  const types = typesOf(s);
  if (s.const === undefined && !types.length) { err(where, 'schema has neither type, anyOf, $ref nor const'); return; }
  for (const t of types) if (!JSON_TYPES.has(t)) err(where, `invalid type ${JSON.stringify(t)}`);
  if (new Set(types).size !== types.length) err(where, 'duplicate types');
  if (s.enum !== undefined) {
    if (!Array.isArray(s.enum) || !s.enum.length || s.enum.length > MAX_ENUM) err(where, `enum must have 1..${MAX_ENUM} values`);
    else {
      if (s.enum.some((v) => !(typeof v === 'string' || typeof v === 'number' || v === null))) err(where, 'enum values must be strings, numbers or null');
      if (types.includes('null') && !s.enum.includes(null)) err(where, 'nullable enum must list null');
    }
  }
  if (s.format !== undefined && !ALLOWED_FORMATS.has(s.format)) err(where, `format "${s.format}" not allowed`);
  if (s.pattern !== undefined) { try { new RegExp(s.pattern, 'u'); } catch { err(where, 'pattern is not a valid regex'); } }
  for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf']) if (s[k] !== undefined && typeof s[k] !== 'number') err(where, `${k} must be a number`);
  for (const k of ['minItems', 'maxItems']) if (s[k] !== undefined && !(Number.isInteger(s[k]) && s[k] >= 0)) err(where, `${k} must be a non-negative integer`);
  if (types.includes('object')) {
    if (!isObj(s.properties)) { if (strict || s.properties !== undefined) err(where, 'object schema without properties'); return; }
    if (strict) {
      if (s.additionalProperties !== false) err(where, 'object schema must have additionalProperties: false');
      const keys = Object.keys(s.properties);
      if (!Array.isArray(s.required) || s.required.length !== keys.length || !keys.every((k) => s.required.includes(k))) err(where, 'required must list every property');
    } else if (s.additionalProperties !== undefined && s.additionalProperties !== false) err(where, 'additionalProperties may only be false');
    for (const [k, v] of Object.entries(s.properties)) {
      if (strict && !PROP_NAME_RE.test(k)) err(where, `property name ${JSON.stringify(k)} does not match ${PROP_NAME_RE}`);
      ctx.props++;
      checkSchema(v, `${where}.${k}`, ctx, depth + 1, strict);
    }
  } else {
    if (s.properties !== undefined || s.required !== undefined || s.additionalProperties !== undefined) err(where, 'properties/required/additionalProperties on a non-object schema');
  }
  if (types.includes('array')) {
    if (s.items === undefined) { if (strict) err(where, 'array schema without items'); }
    else checkSchema(s.items, `${where}[]`, ctx, depth + 1, strict);
  } else if (s.items !== undefined) err(where, 'items on a non-array schema');
  if (s.$defs !== undefined) err(where, '$defs are added by the server, not stored in tool schemas');
}

// ---------------------------------------------------------------------------------------------

let allowRelativeUrls = false; // curated toolkits only: "/path" = relative to the portal's own origin (sandbox)
function checkUrlTemplate(url, where, fieldNames, allowRuntime) {
  if (allowRelativeUrls && typeof url === 'string' && /^\/[^/]/.test(url)) return;
  if (!isAbsoluteHttps(url)) { err(where, `must be an absolute https URL, got ${JSON.stringify(url)}`); return; }
  for (const m of url.matchAll(/\{([^}]*)\}/g)) {
    if (!fieldNames.has(m[1]) && !(allowRuntime && RUNTIME_PLACEHOLDERS.has(m[1]))) err(where, `placeholder {${m[1]}} is not a connection field`);
  }
}

function checkAuth(a, where, fieldNames) {
  if (!isObj(a)) { err(where, 'auth scheme is not an object'); return false; }
  switch (a.type) {
    case 'oauth2': {
      checkUrlTemplate(a.authorizationUrl, `${where}.authorizationUrl`, fieldNames, true);
      checkUrlTemplate(a.tokenUrl, `${where}.tokenUrl`, fieldNames, true);
      for (const k of ['revocationUrl', 'userInfoUrl']) if (a[k] !== null && a[k] !== undefined) checkUrlTemplate(a[k], `${where}.${k}`, fieldNames, true);
      if (!isObj(a.scopes) || Object.values(a.scopes).some((v) => !isStr(v))) err(where, 'scopes must be an object of descriptions');
      if (!Array.isArray(a.defaultScopes) || a.defaultScopes.some((x) => !isStr(x))) err(where, 'defaultScopes must be an array of strings');
      if (!isStr(a.scopeSeparator)) err(where, 'scopeSeparator must be a string');
      if (typeof a.pkce !== 'boolean') err(where, 'pkce must be boolean');
      if (!CLIENT_AUTH.has(a.clientAuth)) err(where, 'clientAuth must be basic|post');
      if (!isObj(a.authorizeParams) || Object.values(a.authorizeParams).some((v) => !isStr(v))) err(where, 'authorizeParams must be an object of strings');
      if (typeof a.refresh !== 'boolean') err(where, 'refresh must be boolean');
      if (a.quirks !== undefined && (!Array.isArray(a.quirks) || a.quirks.some((q) => !isStr(q) || !/^[a-z0-9_]+$/.test(q)))) err(where, 'quirks must be an array of lower_snake names');
      return true;
    }
    case 'api_key':
      if (a.in !== 'header' && a.in !== 'query') err(where, 'api_key.in must be header|query');
      if (!isStr(a.name) || !a.name) err(where, 'api_key.name required');
      if (!nullOrStr(a.prefix ?? null)) err(where, 'api_key.prefix must be string or null');
      return true;
    case 'basic': case 'bearer': return true;
    default: err(where, `unsupported auth type ${JSON.stringify(a.type)}`); return false;
  }
}

function checkToolkit(tk, where, generated) {
  if (!SLUG_RE.test(tk.slug || '')) err(where, `slug ${JSON.stringify(tk.slug)} does not match ${SLUG_RE}`);
  if (!isStr(tk.name) || !tk.name.trim()) err(where, 'name required');
  if (!isStr(tk.description) || tk.description.length > MAX_TOOLKIT_DESC) err(where, `description must be a string ≤ ${MAX_TOOLKIT_DESC}`);
  if (!Array.isArray(tk.categories) || !tk.categories.length || tk.categories.some((c) => !CATEGORIES.includes(c))) err(where, `categories must be non-empty, from: ${CATEGORIES.join(' ')}`);
  if (tk.aliases !== undefined && (!Array.isArray(tk.aliases) || tk.aliases.some((a) => !isStr(a)))) err(where, 'aliases must be strings');
  if (!nullOrStr(tk.logo ?? null) || (tk.logo && !tk.logo.startsWith('<svg'))) err(where, 'logo must be inline SVG or null');
  if (tk.logo && !tk.logoLicense) err(where, 'logo without logoLicense');
  const fieldNames = new Set();
  if (tk.fields !== undefined) {
    if (!Array.isArray(tk.fields)) err(where, 'fields must be an array');
    else for (const [i, f] of tk.fields.entries()) {
      if (!isObj(f) || !isStr(f.name) || !/^[A-Za-z0-9_.-]{1,64}$/.test(f.name) || !isStr(f.label) || typeof f.required !== 'boolean' || typeof f.secret !== 'boolean') err(`${where}.fields[${i}]`, 'field needs name, label, required (bool), secret (bool)');
      else if (f.in !== undefined && f.in !== 'header' && f.in !== 'query') err(`${where}.fields[${i}]`, 'field.in must be header|query');
      else if (fieldNames.has(f.name)) err(`${where}.fields[${i}]`, 'duplicate field name');
      if (f && isStr(f.name)) fieldNames.add(f.name);
    }
  }
  checkUrlTemplate(tk.apiBaseUrl, `${where}.apiBaseUrl`, fieldNames, false);
  if (tk.headers !== undefined && (!isObj(tk.headers) || Object.values(tk.headers).some((v) => !isStr(v)))) err(where, 'headers must be an object of strings');
  if (!Array.isArray(tk.auth) || !tk.auth.length) err(where, 'at least one auth scheme required');
  else { let ok = 0; tk.auth.forEach((a, i) => { if (checkAuth(a, `${where}.auth[${i}]`, fieldNames)) ok++; }); if (!ok) err(where, 'no supported auth scheme'); }
  if (!isObj(tk.origin) || !isStr(tk.origin.source)) err(where, 'origin.source required');
  else if (tk.origin.license !== null && tk.origin.license !== undefined && !(isObj(tk.origin.license) && isStr(tk.origin.license.name))) err(where, 'origin.license must be {name,url} or null');
  if (typeof tk.curated !== 'boolean') err(where, 'curated must be boolean');
  if (generated && tk.curated !== false) err(where, 'generated toolkit has curated != false');
  // merging (FORMAT.md "Merging"): generated mergeInto/formerSlugs/toolsAt, curated merges
  if (tk.mergeInto !== undefined && (!generated || !SLUG_RE.test(tk.mergeInto) || tk.mergeInto === tk.slug)) err(where, 'mergeInto must be another slug (generated toolkits only)');
  if (tk.formerSlugs !== undefined && (!Array.isArray(tk.formerSlugs) || tk.formerSlugs.some((x) => !SLUG_RE.test(x)))) err(where, 'formerSlugs must be slugs');
  if (tk.merges !== undefined && (generated || !Array.isArray(tk.merges) || tk.merges.some((x) => !SLUG_RE.test(x)))) err(where, 'merges must be slugs (curated toolkits only)');
  if (generated && !(Array.isArray(tk.toolsAt) && tk.toolsAt.length === 2 && tk.toolsAt.every((x) => Number.isInteger(x) && x >= 0))) err(where, 'toolsAt must be [offset, length]');
}

function checkTool(t, where, tk, defs, names, generated) {
  if (!isObj(t)) { err(where, 'tool is not an object'); return; }
  if (!TOOL_NAME_RE.test(t.name || '') || !ANTHROPIC_NAME_RE.test(t.name || '')) err(where, `name ${JSON.stringify(t.name)} does not match ${TOOL_NAME_RE}`);
  if (generated) { const prefix = tk.slug.toUpperCase().replace(/-/g, '_') + '_'; if (!String(t.name).startsWith(prefix)) err(where, `name must start with ${prefix}`); }
  if (names.has(t.name)) err(where, `duplicate tool name ${t.name} (also in ${names.get(t.name)})`); else names.set(t.name, tk.slug);
  if (!isStr(t.displayName) || !t.displayName) err(where, 'displayName required');
  if (!isStr(t.description) || t.description.length > MAX_TOOL_DESC) err(where, `description must be a string ≤ ${MAX_TOOL_DESC}`);
  if (!METHODS.has(t.method)) err(where, `method ${t.method}`);
  if (!isStr(t.path) || !t.path.startsWith('/')) err(where, 'path must start with /');
  if (t.kind !== 'http' && t.kind !== 'coded') err(where, 'kind must be http|coded');
  // A GraphQL tool (FORMAT.md "graphql"): its in:body parameters are the document's variables, sent with POST.
  if (t.graphql !== undefined) {
    if (!isStr(t.graphql) || !/^(query|mutation)\b/.test(t.graphql)) err(where, 'graphql must be a query or mutation document');
    if (t.method !== 'POST') err(where, 'a graphql tool is sent with POST');
    if (isObj(t.in) && Object.values(t.in).some((v) => v !== 'body')) err(where, 'a graphql tool takes only in:body parameters (its variables)');
    if (t.bodyKey !== null && t.bodyKey !== undefined) err(where, 'a graphql tool has no bodyKey');
  }
  if (!Array.isArray(t.scopes) || t.scopes.some((x) => !isStr(x))) err(where, 'scopes must be strings');
  if (typeof t.deprecated !== 'boolean') err(where, 'deprecated must be boolean');
  if (t.readOnly !== undefined && typeof t.readOnly !== 'boolean') err(where, 'readOnly must be boolean');
  const p = t.parameters;
  if (!isObj(p) || p.type !== 'object' || !isObj(p.properties)) { err(where, 'parameters root must be {"type":"object","properties":{...}}'); return; }
  if (p.anyOf) err(where, 'parameters root must not be anyOf');
  const ctx = { defs, refs: new Set(), props: 0 };
  checkSchema(p, `${where}.parameters`, ctx, 1, true);
  // reachable defs add to the property budget
  const seen = new Set(), queue = [...ctx.refs];
  let extra = 0;
  while (queue.length) { const n = queue.pop(); if (seen.has(n)) continue; seen.add(n); const c = defsInfo.get(defs)?.get(n); if (c) { extra += c.props; queue.push(...c.refs); } }
  if (ctx.props + extra > MAX_PROPS_PER_TOOL) err(where, `${ctx.props + extra} properties (with referenced defs) > ${MAX_PROPS_PER_TOOL}`);
  // in-map
  const keys = Object.keys(p.properties);
  if (!isObj(t.in)) err(where, 'in must be an object');
  else {
    for (const k of keys) if (!(k in t.in)) err(where, `parameter ${k} has no "in" entry`);
    for (const [k, v] of Object.entries(t.in)) { if (!(k in p.properties)) err(where, `"in" names missing parameter ${k}`); if (!IN_VALUES.has(v)) err(where, `in.${k} = ${v}`); }
    const wire = t.wireNames || {};
    if (t.wireNames !== undefined) { if (!isObj(t.wireNames)) err(where, 'wireNames must be an object'); else for (const [k, v] of Object.entries(t.wireNames)) { if (!(k in p.properties)) err(where, `wireNames names missing parameter ${k}`); if (!isStr(v) || !v) err(where, `wireNames.${k} must be a string`); } }
    if (isStr(t.path)) for (const m of t.path.matchAll(/\{([^}]+)\}/g)) if (!Object.entries(t.in).some(([k, v]) => v === 'path' && (wire[k] || k) === m[1])) err(where, `path placeholder {${m[1]}} has no path parameter`);
    for (const [k, v] of Object.entries(t.in)) if (v === 'path' && isStr(t.path) && !t.path.includes(`{${wire[k] || k}}`)) err(where, `path parameter ${k} not in path`);
    const bodyParams = Object.entries(t.in).filter(([, v]) => v === 'body').map(([k]) => k);
    if (t.bodyKey !== null && t.bodyKey !== undefined) {
      if (t.in[t.bodyKey] !== 'body') err(where, `bodyKey ${t.bodyKey} is not an in:body parameter`);
      if (bodyParams.length !== 1) err(where, 'bodyKey set but other in:body parameters exist');
    }
    if (t.kind === 'http' && bodyParams.length && !t.contentType) err(where, 'in:body parameters without contentType');
  }
  if (t.contentType !== null && t.contentType !== undefined && !CONTENT_TYPES.has(t.contentType) && !JSON_CONTENT_TYPE_RE.test(t.contentType)) err(where, `contentType ${t.contentType}`);
  if (t.delimited !== undefined) {
    if (!isObj(t.delimited)) err(where, 'delimited must be an object');
    else for (const [k, v] of Object.entries(t.delimited)) {
      if (!(k in p.properties)) err(where, `delimited names missing parameter ${k}`);
      else if (t.in?.[k] !== 'query') err(where, `delimited parameter ${k} must be in: query`);
      else if (!isArray(p.properties[k])) err(where, `delimited parameter ${k} must be an array`);
      if (![',', ' ', '|'].includes(v)) err(where, `delimited.${k} must be ",", " " or "|"`);
    }
  }
  if (t.deepObject !== undefined) {
    if (!Array.isArray(t.deepObject)) err(where, 'deepObject must be an array');
    else for (const k of t.deepObject) { if (!(k in p.properties)) err(where, `deepObject names missing parameter ${k}`); else if (t.in?.[k] !== 'query') err(where, `deepObject parameter ${k} must be in: query`); }
  }
  if (t.formObject !== undefined) {
    if (!Array.isArray(t.formObject)) err(where, 'formObject must be an array');
    else for (const k of t.formObject) {
      if (!(k in p.properties)) err(where, `formObject names missing parameter ${k}`);
      else if (t.in?.[k] !== 'query') err(where, `formObject parameter ${k} must be in: query`);
      else if (t.deepObject?.includes(k)) err(where, `formObject parameter ${k} is also deepObject`);
    }
  }
  if (t.json !== undefined) {
    if (!Array.isArray(t.json)) err(where, 'json must be an array');
    else for (const k of t.json) { const s = p.properties[k]; if (!s) err(where, `json names missing parameter ${k}`); else { const ty = typesOf(s); if (!ty.includes('string') || ty.some((x) => x !== 'string' && x !== 'null')) err(where, `json parameter ${k} must be a string`); } }
  }
  if (t.response !== null && t.response !== undefined) {
    const rctx = { defs, refs: new Set(), props: 0 };
    checkSchema(t.response, `${where}.response`, rctx, 1, false);
  }
}

const defsInfo = new Map(); // defs Map -> Map(name -> {props, refs})
function checkDefs(defsObj, where) {
  const defs = new Map(Object.entries(defsObj || {}));
  const info = new Map();
  defsInfo.set(defs, info);
  for (const [n, s] of defs) {
    if (!/^[A-Za-z0-9_.\-]{1,100}$/.test(n)) err(where, `def name ${JSON.stringify(n)}`);
    const ctx = { defs, refs: new Set(), props: 0 };
    checkSchema(s, `${where}.defs.${n}`, ctx, 1, true);
    info.set(n, { props: ctx.props, refs: [...ctx.refs] });
  }
  return defs;
}

// ---------------------------------------------------------------------------------------------

function readGz(file) { return zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'); }

function main() {
  const names = new Map();
  const slugs = new Set();
  let generatedToolkits = 0, generatedTools = 0, unshadowed = 0;
  const curatedFile = curatedOnly ? path.resolve(curatedOnly) : path.join(DATA, 'curated.json');
  const curatedSlugs = new Set();
  const curatedMerges = new Set();

  if (fs.existsSync(curatedFile)) {
    let doc;
    try { doc = JSON.parse(fs.readFileSync(curatedFile, 'utf8')); } catch (e) { err(curatedFile, `invalid JSON: ${e.message}`); }
    if (doc) {
      if (!Array.isArray(doc.toolkits)) err(curatedFile, 'toolkits array required');
      for (const [i, tk] of (doc.toolkits || []).entries()) {
        const where = `curated.json toolkits[${i}] ${tk?.slug}`;
        allowRelativeUrls = true;
        checkToolkit(tk, where, false);
        allowRelativeUrls = false;
        if (slugs.has(tk.slug)) err(where, 'duplicate slug'); slugs.add(tk.slug); curatedSlugs.add(tk.slug);
        for (const m of Array.isArray(tk.merges) ? tk.merges : []) curatedMerges.add(m);
        const defs = checkDefs(tk.defs, where);
        if (!Array.isArray(tk.tools) || !tk.tools.length) err(where, 'tools required');
        for (const [j, t] of (tk.tools || []).entries()) checkTool(t, `${where}.tools[${j}] ${t?.name}`, tk, defs, names, false);
        if (tk.toolCount !== undefined && tk.toolCount !== (tk.tools || []).length) err(where, 'toolCount != tools.length');
      }
    }
  } else if (curatedOnly) err(curatedFile, 'not found');

  if (!curatedOnly) {
    const tkFile = path.join(DATA, 'toolkits.json.gz'), toolsFile = path.join(DATA, 'tools.ndjson.gz');
    for (const f of [tkFile, toolsFile]) if (!fs.existsSync(f)) err(f, 'missing');
    if (fs.existsSync(tkFile) && fs.existsSync(toolsFile)) {
      const gzHead = fs.readFileSync(tkFile).subarray(0, 10);
      if (gzHead.readUInt32LE(4) !== 0) err('toolkits.json.gz', 'gzip mtime must be 0 (deterministic output)');
      const index = JSON.parse(readGz(tkFile));
      if (!isObj(index.generatedFrom)) err('toolkits.json.gz', 'generatedFrom required');
      const toolsGz = fs.readFileSync(toolsFile);
      const lines = zlib.gunzipSync(toolsGz).toString('utf8').split('\n').filter((l) => l.length);
      if (!Array.isArray(index.toolkits)) err('toolkits.json.gz', 'toolkits array required');
      if (lines.length !== index.toolkits.length) err('tools.ndjson.gz', `${lines.length} lines for ${index.toolkits.length} toolkits`);
      const genNames = new Map();
      for (const [i, tk] of index.toolkits.entries()) {
        const where = `toolkits[${i}] ${tk?.slug}`;
        checkToolkit(tk, where, true);
        // merged into a curated toolkit (same slug, mergeInto, or listed in its merges): the portal drops its tools whose names
        // a hand-made tool holds, so those may repeat curated names
        const shadowed = curatedSlugs.has(tk.slug) || CURATED_SLUGS.includes(tk.slug) || curatedSlugs.has(tk.mergeInto) || curatedMerges.has(tk.slug);
        if (Array.isArray(tk.toolsAt)) {
          try {
            const member = zlib.gunzipSync(toolsGz.subarray(tk.toolsAt[0], tk.toolsAt[0] + tk.toolsAt[1])).toString('utf8');
            if (member !== lines[i] + '\n') err(where, 'toolsAt does not point at this toolkit\'s gzip member');
          } catch (e) { err(where, `toolsAt: ${e.message}`); }
        }
        if (!shadowed) unshadowed++;
        if (slugs.has(tk.slug) && !curatedSlugs.has(tk.slug)) err(where, 'duplicate slug'); slugs.add(tk.slug);
        let line;
        try { line = JSON.parse(lines[i] || 'null'); } catch (e) { err(`tools.ndjson.gz line ${i + 1}`, `invalid JSON: ${e.message}`); continue; }
        if (!line || line.slug !== tk.slug) { err(`tools.ndjson.gz line ${i + 1}`, `slug ${line?.slug} != ${tk.slug} (order must match toolkits.json.gz)`); continue; }
        const defs = checkDefs(line.defs, `${tk.slug}`);
        if (!Array.isArray(line.tools) || !line.tools.length) { err(where, 'toolkit has no tools'); continue; }
        if (tk.toolCount !== line.tools.length) err(where, `toolCount ${tk.toolCount} != ${line.tools.length}`);
        if (!Array.isArray(tk.toolNames) || tk.toolNames.join() !== line.tools.map((t) => t.name).join()) err(where, 'toolNames must list the tool names in order');
        // shadowed generated toolkits are dropped by the portal: their names may repeat curated ones
        const nameSet = shadowed ? new Map() : names;
        for (const [j, t] of line.tools.entries()) {
          if (shadowed && genNames.has(t.name)) err(`${tk.slug}.tools[${j}]`, `duplicate tool name ${t.name}`);
          genNames.set(t.name, tk.slug);
          checkTool(t, `${tk.slug}.tools[${j}] ${t?.name}`, tk, defs, nameSet, true);
        }
        generatedToolkits++; generatedTools += line.tools.length;
      }
      if (unshadowed < MIN_TOOLKITS) err('catalog', `${unshadowed} generated toolkits not shadowed by curated ones < ${MIN_TOOLKITS}`);
      if (generatedTools < MIN_TOOLS) err('catalog', `${generatedTools} tools < ${MIN_TOOLS}`);
      if (index.generatedFrom && (index.generatedFrom.toolkits !== index.toolkits.length)) err('toolkits.json.gz', 'generatedFrom.toolkits mismatch');
    }
  }

  const summary = `checked: ${generatedToolkits} generated toolkits (${unshadowed} not shadowed by curated), ${generatedTools} generated tools, ${curatedSlugs.size} curated toolkits`;
  if (errors.length) {
    console.error(`FAIL: ${errors.length} violation(s)`);
    for (const e of errors.slice(0, MAX_ERRORS_SHOWN)) console.error(`  - ${e}`);
    if (errors.length > MAX_ERRORS_SHOWN) console.error(`  ... and ${errors.length - MAX_ERRORS_SHOWN} more`);
    console.error(summary);
    process.exit(1);
  }
  console.log(`OK: ${summary}`);
}

main();
