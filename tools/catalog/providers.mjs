#!/usr/bin/env node
// Which of the providers most used on Composio, Pipedream and Arcade the catalog serves with executable tools, computed from
// the data files as the portal merges them (FORMAT.md "Merging"): a generated toolkit absorbed into a curated one counts for
// the curated one; a curated.json entry present at check time counts (other branches add curated toolkits).
//   node providers.mjs              prints the markdown table for README.md
//   node providers.mjs --min 45     exits 1 when fewer are present
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DATA = path.join(HERE, '../../Butterbase.Portal/Catalog/Data');
const args = process.argv.slice(2);
const min = args.includes('--min') ? Number(args[args.indexOf('--min') + 1]) : null;

// The list: providers with the most installs/actions across Composio, Pipedream and Arcade's public catalogs (their
// "popular" lists), one row per product a person would look for; candidate slugs in order.
export const PROVIDERS = [
  ['Gmail', ['gmail']], ['Slack', ['slack']], ['GitHub', ['github']], ['Notion', ['notion']],
  ['Google Calendar', ['google-calendar']], ['Google Drive', ['google-drive']], ['Google Sheets', ['google-sheets']],
  ['Google Docs', ['google-docs']], ['HubSpot', ['hubspot']], ['Salesforce', ['salesforce']], ['Outlook', ['outlook']],
  ['Microsoft Teams', ['microsoft-teams']], ['OneDrive', ['onedrive']], ['SharePoint', ['sharepoint']],
  ['Excel', ['microsoft-excel']], ['Jira', ['jira']], ['Confluence', ['confluence']], ['Linear', ['linear']],
  ['Asana', ['asana']], ['Trello', ['trello']], ['ClickUp', ['clickup']], ['Monday.com', ['monday', 'monday-com']],
  ['Airtable', ['airtable']], ['Zendesk', ['zendesk']], ['Intercom', ['intercom']], ['Shopify', ['shopify']],
  ['Stripe', ['stripe']], ['QuickBooks', ['quickbooks']], ['Xero', ['xero', 'xero-accounting']], ['Dropbox', ['dropbox']],
  ['Box', ['box']], ['Figma', ['figma']], ['Discord', ['discord']], ['Zoom', ['zoom']], ['Calendly', ['calendly']],
  ['Pipedrive', ['pipedrive']], ['Mailchimp', ['mailchimp']], ['Twilio', ['twilio']], ['SendGrid', ['sendgrid']],
  ['GitLab', ['gitlab']], ['Bitbucket', ['bitbucket']], ['Todoist', ['todoist']], ['Webflow', ['webflow']],
  ['WordPress', ['wordpress']], ['YouTube', ['youtube']], ['DocuSign', ['docusign']], ['Okta', ['okta']],
  ['Telegram', ['telegram']], ['WhatsApp', ['whatsapp']], ['Typeform', ['typeform']], ['Google Forms', ['google-forms']],
  ['Google Tasks', ['google-tasks']], ['Spotify', ['spotify']], ['OpenAI', ['openai']], ['Vercel', ['vercel']],
];

function load() {
  const index = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(DATA, 'toolkits.json.gz'))).toString('utf8'));
  const curated = JSON.parse(fs.readFileSync(path.join(DATA, 'curated.json'), 'utf8')).toolkits;
  const served = new Map(); // slug -> { name, hand, generated, how }
  const curatedSlugs = new Set(curated.map((t) => t.slug));
  const listed = new Map();
  for (const c of curated) for (const m of c.merges || []) listed.set(m, c.slug);
  for (const c of curated) served.set(c.slug, { name: c.name, hand: (c.tools || []).length, generated: 0, curated: true });
  const hostOf = (g) => curatedSlugs.has(g.slug) ? g.slug : listed.get(g.slug) || (g.mergeInto && (curatedSlugs.has(g.mergeInto) || index.toolkits.some((x) => x.slug === g.mergeInto && !x.mergeInto)) ? g.mergeInto : g.slug);
  const alias = new Map();
  for (const g of index.toolkits) {
    const host = hostOf(g);
    if (host !== g.slug) alias.set(g.slug, host);
    for (const f of g.formerSlugs || []) alias.set(f, host);
    const s = served.get(host) || { name: g.name, hand: 0, generated: 0, curated: false };
    s.generated += g.toolCount;
    served.set(host, s);
  }
  return { served, alias };
}

export function providerRows() {
  const { served, alias } = load();
  return PROVIDERS.map(([name, slugs]) => {
    const slug = slugs.map((s) => (served.has(s) ? s : alias.get(s))).find((s) => s && served.has(s)) || null;
    const s = slug ? served.get(slug) : null;
    return { name, slug, present: !!s && s.hand + s.generated > 0, hand: s?.hand || 0, generated: s?.generated || 0 };
  });
}

const rows = providerRows();
const present = rows.filter((r) => r.present).length;
console.log(`| provider | toolkit | hand-made tools | generated tools | present |`);
console.log(`|---|---|---:|---:|---|`);
for (const r of rows) console.log(`| ${r.name} | ${r.slug ? '`' + r.slug + '`' : '—'} | ${r.hand} | ${r.generated.toLocaleString('en-US')} | ${r.present ? 'yes' : '**no**'} |`);
const all = [...load().served.values()];
console.log(`\nServed: ${all.length.toLocaleString('en-US')} toolkits (${all.filter((t) => t.curated).length} curated), ${all.reduce((n, t) => n + t.hand, 0).toLocaleString('en-US')} hand-made + ${all.reduce((n, t) => n + t.generated, 0).toLocaleString('en-US')} generated tools.`);
console.log(`\n${present} of ${rows.length} present with executable tools; missing: ${rows.filter((r) => !r.present).map((r) => r.name).join(', ') || 'none'}.`);
if (min !== null && present < min) { console.error(`only ${present} of ${rows.length} present (< ${min})`); process.exit(1); }
