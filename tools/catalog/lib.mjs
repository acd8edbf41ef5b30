// Shared constants and helpers for generate.mjs and check.mjs (see FORMAT.md).

export const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,48}$/;
export const TOOL_NAME_RE = /^[A-Z0-9_]{1,64}$/;
export const ANTHROPIC_NAME_RE = /^[a-zA-Z0-9_-]{1,64}$/;
export const PROP_NAME_RE = /^[A-Za-z0-9_.\-]{1,64}$/;
export const DEF_NAME_RE = /^[A-Za-z0-9_.\-]{1,100}$/;
export const CATEGORY_RE = /^[a-z][a-z0-9_]*$/;

export const CATEGORIES = [
  'ai', 'analytics', 'cloud', 'communication', 'crm', 'data', 'developer_tools', 'ecommerce',
  'education', 'entertainment', 'finance', 'government', 'iot', 'location', 'marketing', 'media',
  'productivity', 'security', 'social', 'support', 'transport', 'other',
];

export const ALLOWED_KEYWORDS = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'anyOf',
  '$ref', '$defs', 'description', 'title', 'format', 'pattern', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minItems', 'maxItems',
]);
export const ALLOWED_FORMATS = new Set(['date-time', 'date', 'time', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);
export const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
export const MAX_ENUM = 500;
export const MAX_DEPTH = 10;
export const MAX_PROPS_PER_TOOL = 1000;
export const MAX_SCHEMA_DESC = 300;
export const MAX_TOOL_DESC = 500;
export const MAX_TOOLKIT_DESC = 300;
export const IN_VALUES = new Set(['path', 'query', 'header', 'body']);
export const CONTENT_TYPES = new Set(['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']);
export const JSON_CONTENT_TYPE_RE = /^application\/([a-z0-9.+-]*\+)?json$/;
export const CLIENT_AUTH = new Set(['basic', 'post']);

export const CURATED_SLUGS = ['gmail', 'google-calendar', 'slack', 'google-sheets', 'notion', 'github', 'hubspot', 'outlook', 'google-drive', 'discord', 'sandbox'];

/** Replace {placeholders} by a dummy host label so a templated URL can be parsed. */
export function fillPlaceholders(url) {
  return String(url).replace(/\{[A-Za-z0-9_.-]+\}/g, 'x');
}

export function isAbsoluteHttps(url) {
  if (typeof url !== 'string' || !url.startsWith('https://')) return false;
  try { const u = new URL(fillPlaceholders(url)); return u.protocol === 'https:' && !!u.hostname; } catch { return false; }
}
