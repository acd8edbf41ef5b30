// Toolkit display names (documented in FORMAT.md "Name rule" and README.md).
// A name is brand-style: the provider's brand, plus the service when the brand has several toolkits
// or the API id names a service; no "API"/"REST API"/versions/URLs/parentheses; at most NAME_MAX characters.
// Pure functions of the spec metadata: deterministic, and they never touch slugs or tool names.

export const NAME_MAX = 40;
export const NAME_HARD = 48; // unbranded organisation names (API Setu issuers) that have no clean shorter form

// Providers whose domain does not spell (or case) the brand and whose specs do not either.
export const BRAND_OVERRIDES = {
  'googleapis.com': 'Google',
  'hubapi.com': 'HubSpot',
  'sendgrid.com': 'SendGrid',
  'nytimes.com': 'NYT',
  'bbci.co.uk': 'BBC iPlayer',
  'sportsdata.io': 'SportsDataIO',
  'zoomconnect.com': 'ZoomConnect',
  'gov.bc.ca': 'BC',
  'haloapi.com': 'Halo',
  'wmata.com': 'WMATA',
  'whapi.com': 'Whapi',
  'izettle.com': 'iZettle',
  'cloudmersive.com': 'Cloudmersive',
  'openbanking.org.uk': 'Open Banking',
  'ndhm.gov.in': 'NDHM',
  'digitallocker.gov.in': 'DigiLocker',
  'meteosource.com': 'Meteosource',
  'transavia.com': 'Transavia',
  'math.tools': 'Math Tools',
  'remove.bg': 'remove.bg',
  'rev.ai': 'Rev AI',
  'tfl.gov.uk': null,
  'quotes.rest': 'They Said So',
  'byautomata.io': 'Automata',
  'readme.io': 'ReadMe',
  'visma.com': 'Visma',
  'netboxdemo.com': 'NetBox Demo',
  'apisetu.gov.in': null, // API Setu is a gateway: each API is named after its issuing authority (spec title)
};
// API hosts / marketplaces / code hosts: the provider is not the brand, the spec title names the product.
export const NO_BRAND_PROVIDERS = new Set([
  'apisetu.gov.in', 'apigee.net', 'rapidapi.com', 'mashape.com', 'apispot.io', 'paypi.dev', 'github.com',
  'stoplight.io', 'swaggerhub.com',
]);
// Providers whose spec titles name a tag, not the API (HubSpot's per-area specs): the service id names it.
export const NAME_FROM_SERVICE = new Set(['hubapi.com']);

const ACRONYMS = new Set(['api', 'crm', 'cms', 'sms', 'ats', 'hris', 'pos', 'ai', 'ml', 'iot', 'dns', 'sql', 'kms', 'ocr', 'pdf',
  'uk', 'us', 'vat', 'id', 'ip', 'nla', 'aem', 'dvp', 'ugc', 'apod', 'nba', 'nfl', 'mlb', 'nhl', 'cbb', 'cfb', 'sdk', 'hr',
  'gis', 'erp', 'rss', 'pac', 'tv', 'url', 'qr', 'mms', 'pii', 'sku', 'tts', 'nlp', 'ssl', 'vpn']);
const SMALL = new Set(['a', 'an', 'and', 'as', 'at', 'by', 'for', 'from', 'in', 'of', 'on', 'or', 'the', 'to', 'with', 'via']);
// Words that say nothing about the API when they end a name (after the brand) or make up the whole label.
const GENERIC_TAIL = /\s+(?:apis?|rest|restful|json|openapi|swagger|web|platform|public|open|unified|official|documentation|docs?|reference|references|explorer|specification|spec|interface|endpoints?|suite|client|developers?|interactive|application|call\s+group|http|v\d+)$/i;
const GENERIC_ONLY = /^(?:the|apis?|rest|restful|json|openapi|swagger|web|platform|public|open|unified|official|documentation|reference|explorer|specification|spec|interface|endpoints?|services?|suite|client|developers?|interactive|main|core|default|general|beta|production|sandbox|test|live|v\d+(?:\.\d+)*|\s)+$/i;

export const comp = (s) => String(s || '').toLowerCase().replace(/[^a-z0-9]+/g, '');
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The spec title without versions, "API"/"REST API"/"Specification", URLs, parentheses and filler. */
export function cleanTitle(title) {
  let s = String(title || '');
  const acr = [];
  s = s.replace(/\bhttps?:\/\/[^\s)]+/gi, ' ');
  s = s.replace(/^www\./i, '').replace(/(\.[a-z]{2,6}):\d+\b/gi, '$1');
  const qual = [];
  s = s.replace(/\s*\(([^()]*)\)/g, (m, inner) => { const t = inner.trim(); if (/^[A-Z][A-Z0-9&-]{1,7}$/.test(t)) acr.push({ acr: t, before: s.slice(0, s.indexOf(m)) }); else if (/^[A-Za-z]+(?: [A-Za-z]+)?$/.test(t) && !/^(?:beta|alpha|deprecated|stable|new|preview|s)$/i.test(t)) qual.push(t); return ' '; });
  s = s.replace(/\s*\[[^\]]*\]|\s*\{[^}]*\}/g, ' ');
  s = s.replace(/\bAPI(?:s|\(s\))?v\d+(?:\.\d+)*\b/gi, 'API');
  s = s.replace(/\b(?:version\s*)?v\.?\s?\d+(?:\.\d+)*(?:[-.](?:alpha|beta|rc)\d*)?\b/gi, ' ');
  s = s.replace(/\bversion\s+\d+(?:\.\d+)*\b/gi, ' ').replace(/\b\d+\.\d+(?:\.\d+)*\b/g, ' ');
  s = s.replace(/\s+-\s+(?:beta|alpha|production|sandbox|test|testing|staging|deprecated|preview|live)\b.*$/i, '');
  s = s.replace(/\s+\((?:beta|alpha)\)|\s+\b(?:beta|preview)$/i, '');
  s = s.replace(/^(?:swagger|the\s+api\s+for|api\s+for(?:\s+the)?|api\s+docs?|api\s+reference\s+for)\s+/i, '');
  s = s.replace(/(^|\s)([a-z]{2,})api(?=$|\s)/g, '$1$2');                  // "ocrapi" -> "ocr"
  s = s.replace(/\s+(?:json\s+)?rest(?:ful)?\s+apis?\b/gi, ' ');           // "RESTful API" anywhere
  s = s.replace(/\s+apis?\s+(?=(?:II|III|IV|with|by|from)\b)/gi, ' ');
  s = s.replace(/\s+apis?\s*(?=[-–—:,])/gi, ' ');                          // "Catalog API - Seller Portal"
  s = s.replace(/\s+(?:is|are)\s+.*$/i, '');                              // sentence titles
  s = s.replace(/\s+/g, ' ').trim();
  for (let i = 0; i < 6; i++) {
    const before = s;
    s = s.replace(/[\s,;:.\-–—|/]+$/, '').replace(/^[\s,;:.\-–—|/]+/, '');
    s = s.replace(/\s+(?:rest(?:ful)?\s+)?(?:json\s+)?(?:rest\s+)?(?:apis?|api\(s\))$/i, '');
    s = s.replace(/\s+(?:api\s+)?(?:specification|spec|documentation|docs|reference|explorer|endpoints)$/i, '');
    s = s.replace(/\s+(?:openapi|rest|restful)$/i, '');
    if (s === before) break;
  }
  s = s.replace(/\s+/g, ' ').replace(/\s+,/g, ',').trim();
  if (/^(?:apis?|rest|restful|openapi)$/i.test(s)) s = '';
  return { text: s, acronyms: acr, qual };
}

function titleCaseWord(w, i) {
  if (ACRONYMS.has(w.toLowerCase())) return w.toUpperCase();
  if (i > 0 && SMALL.has(w.toLowerCase())) return w.toLowerCase();
  return w.charAt(0).toUpperCase() + w.slice(1);
}
/** ALL-CAPS multi-word names (KERALA PUBLIC SERVICE COMMISSION) and all-lowercase phrases become title case. */
function fixCase(s) {
  const words = s.split(' ');
  const letters = s.replace(/[^A-Za-z]/g, '');
  if (words.length >= 3 && letters.length > 8 && letters === letters.toUpperCase()) {
    return words.map((w, i) => (/^[A-Z]{2,5}$/.test(w) && w.length <= 4 && i > 0 && !/^(AND|OF|THE|FOR)$/.test(w) ? w : titleCaseWord(w.toLowerCase(), i))).join(' ');
  }
  if (letters && letters === letters.toLowerCase() && !/\.[a-z]/.test(s)) return words.map((w, i) => titleCaseWord(w, i)).join(' ');
  return s;
}

/** Find `token` (lower alnum, e.g. "deutschebahn") in text as a run of words ("Deutsche Bahn"); returns the spellings found. */
function findSpellings(text, token) {
  const out = [];
  if (!text || !token) return out;
  const re = /[A-Za-z0-9]+/g;
  const words = [];
  let m;
  while ((m = re.exec(text)) && words.length < 5000) words.push({ w: m[0], i: m.index, e: m.index + m[0].length });
  for (let a = 0; a < words.length; a++) {
    let acc = '';
    for (let b = a; b < words.length && b < a + 4; b++) {
      if (b > a && !/^[ \-.]?$/.test(text.slice(words[b - 1].e, words[b].i))) break;
      acc += words[b].w.toLowerCase();
      if (acc.length > token.length || !token.startsWith(acc)) break;
      if (acc === token) { out.push(text.slice(words[a].i, words[b].e)); break; }
    }
  }
  return out;
}

/**
 * Brand of a provider: override; else the provider domain as written in a title ("Files.com", "api.video");
 * else the domain's name (providerBase) as the specs or simple-icons spell it. null when unconfirmed.
 */
export function brandOf(provider, base, texts, iconTitle) {
  if (Object.prototype.hasOwnProperty.call(BRAND_OVERRIDES, provider)) return BRAND_OVERRIDES[provider];
  if (NO_BRAND_PROVIDERS.has(provider)) return null;
  const domain = provider.replace(/\.local$/, '');
  if (domain.includes('.') && !/\.(local|gov\.[a-z]+)$/.test(provider)) {
    for (const t of texts.titles) {
      const m = t.match(new RegExp(`(?:^|[^A-Za-z0-9.-])(${esc(domain)})(?![A-Za-z0-9-])`, 'i'));
      if (m && comp(m[1]) !== comp(t) + 'x') return m[1].replace(/^www\./i, '');
    }
  }
  const token = base.replace(/-/g, '');
  if (token.length < 2) return null;
  const score = new Map();
  const add = (list, w) => { for (const s of list) score.set(s, (score.get(s) || 0) + w); };
  for (const t of texts.titles) add(findSpellings(t, token), 3);
  for (const t of texts.contacts) add(findSpellings(t, token), 2);
  if (iconTitle && comp(iconTitle) === token) add([iconTitle], 2);
  for (const t of texts.descriptions) add(findSpellings(t, token).filter((x) => /[A-Z]/.test(x)), 1); // "byautomata.io" in prose is no brand
  if (!score.size) return null;
  // best score; ties: a spelling with capitals (brand styling) beats all-lower/all-upper, then first seen
  let best = null, bs = -1;
  for (const [s, v] of score) {
    const styled = /[a-z]/.test(s) && /[A-Z]/.test(s) ? 0.5 : 0;
    if (v + styled > bs) { bs = v + styled; best = s; }
  }
  best = best.replace(/\s+(?:inc|ltd|gmbh|llc)\.?$/i, '');
  if (best === best.toLowerCase() && !/[.\-]/.test(best)) best = best.split(' ').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
  return best;
}

/** Remove the brand phrase (and a leading "The") from a title; what is left labels the service. */
export function stripBrand(text, brand) {
  if (!brand) return text;
  const tok = comp(brand);
  let s = text;
  const sp = findSpellings(s, tok);
  for (const f of sp) s = s.replace(f, ' ');
  if (!sp.length) { const i = s.toLowerCase().indexOf(brand.toLowerCase()); if (i >= 0) s = s.slice(0, i) + ' ' + s.slice(i + brand.length); }
  s = s.replace(/^\s*the\s+/i, '').replace(/\s+/g, ' ');
  s = s.replace(/^[\s,;:.\-–—|/'&]+|[\s,;:.\-–—|/&]+$/g, '').replace(/^s\s+/, '').replace(/\s+and$/i, '');
  return s.trim();
}
function stripGenericTail(s) {
  let prev;
  do { prev = s; s = s.replace(GENERIC_TAIL, '').replace(/\s+(?:&|and)$/i, '').trim(); } while (s !== prev && s);
  return s;
}
export const isGeneric = (s) => !s || GENERIC_ONLY.test(s);

/** Service id words: "twilio_chat_v2" -> "Chat", "AccountService" -> "Account", casing from the spec text. */
export function serviceWords(service, base, brand, texts, dropTokens = new Set()) {
  if (!service) return '';
  const drop = new Set([...base.split('-'), ...String(brand || '').toLowerCase().split(/[^a-z0-9]+/), 'api', 'apis', 'com', 'net', 'org', 'io', 'service', 'openapi']);
  const raw = service.replace(/[-_.](v?\d+(?:\.\d+)*)$/i, '').replace(/-beta$/i, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[^A-Za-z0-9]+/g, ' ').trim().split(' ');
  const words = raw.filter((w) => w && !drop.has(w.toLowerCase()) && !dropTokens.has(w.toLowerCase()) && !/^v\d+$/i.test(w));
  const hay = [...texts.titles, ...texts.descriptions].join(' ');
  return words.map((w, i) => {
    const m = hay.match(new RegExp(`\\b${esc(w)}\\b`, 'i'));
    if (m && /[A-Z]/.test(m[0]) && m[0] !== m[0].toUpperCase()) return m[0];
    if (m && m[0] === m[0].toUpperCase() && m[0].length <= 5) return m[0];
    return titleCaseWord(w.toLowerCase(), i);
  }).join(' ');
}

const ABBREV = [[/\bDepartment\b/g, 'Dept.'], [/\bGovernment\b/g, 'Govt.'], [/\s+and\s+/g, ' & '], [/\bInformation Technology\b/g, 'IT'], [/\bCorporation\b/g, 'Corp.']];
const CASING = { oauth: 'OAuth', qrcode: 'QR Code', ios: 'iOS' };

/** Shorten to NAME_MAX: abbreviate (Department → Dept.), then drop " - ..." / " for|with|by|from ..." clauses and trailing ", ..." parts, then whole words. */
export function capName(name, prefixLen = 0, branded = true) {
  const max = NAME_MAX - prefixLen;
  let s = name;
  if (s.length > max) for (const [re, to] of ABBREV) s = s.replace(re, to);
  const cuts = [/\s+-\s+(?!.*\s-\s).*$/, /\s+(?:powered by|provided by|by|with|from|for|using|via)\s+(?!.*\s(?:by|with|from|for|using|via)\s).*$/i, /\s*[,;:|–—]\s+(?!.*[,;:|–—]\s).*$/, /\s+(?:and|&)\s+(?!.*\s(?:and|&)\s).*$/i];
  for (let guard = 0; s.length > max && guard < 12; guard++) {
    let done = false;
    for (const re of branded ? cuts : cuts.slice(0, 1)) { const t = s.replace(re, '').trim(); if (t !== s && t.length >= 8) { s = t; done = true; break; } }
    if (!done) break;
  }
  if (!branded && s.length <= NAME_HARD) return s;   // an official organisation name: not cut mid-phrase
  while (!branded && s.length > NAME_HARD && s.includes(', ')) s = s.replace(/,\s+(?!.*,\s).*$/, '');
  const lim = branded ? max : NAME_HARD;
  if (s.length > lim) {
    const words = s.split(' ');
    while (words.length > 1 && words.join(' ').length > lim) words.pop();
    while (words.length > 1 && SMALL.has(words[words.length - 1].toLowerCase().replace(/[^a-z]/g, ''))) words.pop();
    s = words.join(' ');
    if (s.length > lim) s = s.slice(0, lim).trim();
  }
  return s.replace(/[\s,;:\-–—&]+$/, '');
}

function dedupeSegments(s) {
  // "eDistrict Kerala, Kerala" -> "eDistrict Kerala"; "X, Himachal Pradesh, Himachal Pradesh" -> "X, Himachal Pradesh"
  const parts = s.split(/,\s+/);
  const out = [];
  for (const p of parts) { const c = comp(p); if (c && !out.some((o) => comp(o).includes(c))) out.push(p); }
  return out.join(', ');
}
function stripCompanySuffix(s) {
  return s.replace(/[\s,]+(?:(?:the\s+)?company|co\.?|corporation|corp\.?)?\s*(?:(?:pvt|private)\.?\s*)?(?:ltd\.?|limited|inc\.?|gmbh|llc)$/i, '').trim();
}
/** A label (the part after the brand): separators become spaces, lowercase words are capitalised. */
function tidyLabel(s) {
  s = s.replace(/_/g, ' ').replace(/,\s+/g, ' ').replace(/\s+/g, ' ').trim();
  return s.split(' ').map((w, i) => {
    const lw = w.toLowerCase();
    if (CASING[lw]) return CASING[lw];
    if (/^[a-z]+$/.test(w) && (w.length > 2 || ACRONYMS.has(lw))) return titleCaseWord(w, i);
    if (/^[A-Z][a-z]+$/.test(w) && ACRONYMS.has(lw)) return w.toUpperCase();
    return w;
  }).join(' ');
}
const initialsMatch = (acr, before) => {
  const ini = before.split(/[^A-Za-z]+/).filter((w) => /^[A-Z]/.test(w)).map((w) => w[0]).join('');
  return ini.length >= acr.length && ini.slice(-acr.length) === acr.replace(/[^A-Z]/g, '');
};

/**
 * Assign names. items: [{ provider, service, base, title, texts: {titles, contacts, descriptions}, iconTitle }]
 * Returns [{ name, alias|null }] in the same order.
 */
export function assignNames(items) {
  // 1. brands, per provider (all its specs' texts together)
  const byProv = new Map();
  for (const it of items) { if (!byProv.has(it.provider)) byProv.set(it.provider, []); byProv.get(it.provider).push(it); }
  const brandCache = new Map();
  for (const [prov, list] of byProv) {
    const texts = { titles: [], contacts: [], descriptions: [] };
    for (const it of list) { texts.titles.push(...it.texts.titles); texts.contacts.push(...it.texts.contacts); texts.descriptions.push(...it.texts.descriptions); }
    brandCache.set(prov, brandOf(prov, list[0].base, texts, list[0].iconTitle));
  }
  // an unconfirmed provider borrows the brand of a sibling domain with the same name (ably.net <- ably.io)
  const byBase = new Map();
  for (const [prov, b] of brandCache) if (b && !Object.prototype.hasOwnProperty.call(BRAND_OVERRIDES, prov)) byBase.set(byProv.get(prov)[0].base, b);
  for (const [prov, b] of brandCache) if (!b && !NO_BRAND_PROVIDERS.has(prov) && !Object.prototype.hasOwnProperty.call(BRAND_OVERRIDES, prov) && byBase.has(byProv.get(prov)[0].base)) brandCache.set(prov, byBase.get(byProv.get(prov)[0].base));
  const res = items.map((it) => {
    const brand = brandCache.get(it.provider);
    const ct = cleanTitle(it.title);
    const t = fixCase(dedupeSegments(stripCompanySuffix(ct.text)));
    return { it, brand, t, acr: ct.acronyms, qual: ct.qual, label: null, name: null };
  });
  // 2. group by brand (ably.io + ably.net are one brand with two toolkits)
  const groups = new Map();
  for (const r of res) { const k = r.brand ? 'b:' + comp(r.brand) : 'p:' + r.it.provider + ':' + (r.it.service || ''); if (!groups.has(k)) groups.set(k, []); groups.get(k).push(r); }
  for (const list of groups.values()) {
    const multi = list.length > 1;
    // service-id tokens shared by ≥ 3 members (cognitiveservices-*) do not tell them apart
    const tokCount = new Map();
    for (const r of list) for (const w of new Set(String(r.it.service || '').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean))) tokCount.set(w, (tokCount.get(w) || 0) + 1);
    const shared = new Set([...tokCount].filter(([, c]) => c >= 3).map(([w]) => w));
    const svcLabel = (r) => tidyLabel(serviceWords(r.it.service, r.it.base, r.brand, r.it.texts, shared));
    for (const r of list) {
      const { brand, t } = r;
      if (!brand) { r.name = stripGenericTail(t) || fixCase(r.it.base.replace(/-/g, ' ')); continue; }
      let label;
      if (NAME_FROM_SERVICE.has(r.it.provider) || /^[a-z0-9-]+(\.[a-z0-9-]+)+\.?\s*$/i.test(t.replace(/\s+/g, ''))) label = svcLabel(r);
      else {
        if (!multi && !r.it.service) {
          // one API: the brand, or the title when it is the brand plus at most two words ("Adafruit IO", "Visma e-conomic")
          const seg = t.split(/\s+-\s+/).find((x) => comp(x).includes(comp(brand))) || '';
          const whole = stripGenericTail(seg.replace(/^the\s+(?=\S)/i, (m) => (comp(brand).startsWith('the') ? m : '')));
          const extra = stripBrand(whole, brand).split(' ').filter(Boolean).length;
          const pos = comp(whole).indexOf(comp(brand));
          r.name = whole && extra <= 2 && pos >= 0 && whole.length <= NAME_MAX && (pos === 0 || whole.split(' ').length <= 3) ? whole : brand;
          continue;
        }
        label = stripGenericTail(stripBrand(t, brand));
        if (isGeneric(label)) label = '';
        if (!label) label = svcLabel(r);
        label = tidyLabel(label);
      }
      if (isGeneric(label)) label = '';
      r.label = label;
      r.name = !label ? brand : /[A-Za-z0-9]/.test(label) ? `${brand} ${label}` : `${brand}${label}`; // "Google+"

    }
    // clashes inside a brand: the plainest title keeps the name; the others add the title's qualifier, the
    // spec version, or the service id (acronym-named authorities all take their acronym), else a number
    const byName = new Map();
    for (const r of list) { const k = comp(r.name); if (!byName.has(k)) byName.set(k, []); byName.get(k).push(r); }
    const seen = new Set(list.map((r) => comp(r.name)));
    for (const dup of byName.values()) {
      if (dup.length < 2) continue;
      if (!dup[0].brand && dup.every((r) => r.acr.length)) { for (const r of dup) { r.name = r.acr[r.acr.length - 1].acr; seen.add(comp(r.name)); } continue; }
      const words = (x) => new Set(x.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean));
      dup.sort((a, b) => (a.qual.length ? 1 : 0) - (b.qual.length ? 1 : 0) || (comp(b.it.service) === comp(b.label) ? 1 : 0) - (comp(a.it.service) === comp(a.label) ? 1 : 0) || a.it.title.length - b.it.title.length || (a.it.title < b.it.title ? -1 : a.it.title > b.it.title ? 1 : 0) || (String(a.it.service) < String(b.it.service) ? -1 : 1));
      const vers = dup.map((r) => (String(r.it.title).match(/\bv(\d+)\b/i) || String(r.it.service || '').match(/v(\d+)\W*$/i) || String(r.it.version || '').match(/^v?(\d+)/i) || [])[1]);
      for (const [n, r] of dup.entries()) {
        if (n === 0) continue;
        const base = r.name, have = words(base);
        const cands = [];
        if (r.qual.length) cands.push(`${base} ${tidyLabel(r.qual[0])}`);
        if (vers[n] && new Set(vers).size > 1) cands.push(`${base} v${vers[n]}`);
        const sw = r.brand ? svcLabel(r) : '';
        if (sw && [...words(sw)].some((w) => !have.has(w))) cands.push(`${r.brand} ${sw}`);
        for (let k = 2; k < 20; k++) cands.push(`${base} ${k}`);
        r.name = cands.find((c) => !seen.has(comp(c)));
        seen.add(comp(r.name));
      }
    }
  }
  // unbranded names that clash across providers/services and carry an acronym (Ministry of Petroleum (BPCL)/(HPCL)) take it
  const all = new Map();
  for (const r of res) if (!r.brand) { const k = comp(r.name); if (!all.has(k)) all.set(k, []); all.get(k).push(r); }
  for (const dup of all.values()) if (dup.length > 1 && dup.every((r) => r.acr.length)) for (const r of dup) r.name = r.acr[r.acr.length - 1].acr;
  // 3. cap the length (a title acronym that spells the long phrase may stand in for it); aliases
  return res.map((r) => {
    let name = r.name.replace(/\s+/g, ' ').trim();
    const full = name;
    if (name.length > NAME_MAX) {
      const a = r.acr.find((x) => initialsMatch(x.acr, x.before));
      if (a) {
        const tail = r.it.title.split(/\)\s*,\s*/)[1];
        const viaAcr = (r.brand && r.label ? `${r.brand} ${a.acr}` : a.acr) + (tail && !r.brand ? `, ${dedupeSegments(tail.trim())}` : '');
        if (viaAcr.length <= NAME_MAX) name = viaAcr;
      }
    }
    if (name.length > NAME_MAX) {
      if (r.brand && r.label && name.startsWith(r.brand + ' ')) name = `${r.brand} ${capName(name.slice(r.brand.length + 1), r.brand.length + 1)}`;
      else name = capName(name, 0, !!r.brand);
    }
    name = name.replace(/\s+-\s+/g, ' ').replace(/\s+/g, ' ').trim();
    if (!name) name = r.it.title || r.it.base;
    // alias: the spec's own title when it says something the name does not
    let alias = null;
    const cand = r.t && !NAME_FROM_SERVICE.has(r.it.provider) ? r.t : null;
    const rest = cand ? stripGenericTail(stripBrand(cand, r.brand)) : '';
    if (cand && !isGeneric(cand) && !isGeneric(rest) && !comp(name).includes(comp(rest)) && comp(cand) !== comp(name)) alias = cand;
    if (!alias && full !== name && comp(full) !== comp(name)) alias = full;
    return { name, alias };
  });
}
