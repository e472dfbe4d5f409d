// Search on a static host. The index under search-index/ is sharded by the first
// characters of each term, so a query downloads meta.json, one shard per word and the
// record buckets of the results it shows (see sitegen/search.py for the layout).
// meta.json lists the shards that exist: a word no shard can hold asks for nothing, so
// no request of this page fails (a static host answers a missing file with its 404 page).
// Words are folded exactly as sitegen/search.py folds them. Every result is drawn as
// text: nothing from the index is parsed as HTML.
const root = document.querySelector("[data-search]");
const base = root.dataset.base;
const input = document.getElementById("search-input");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const MAX_RESULTS = 30;
const WORD = /[\p{L}\p{N}]+/gu;

const files = new Map();
function load(path) {
  if (!files.has(path)) {
    files.set(path, fetch(`${base}search-index/${path}`).then((response) => {
      if (response.status === 404) return {};
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      return response.json();
    }));
  }
  return files.get(path);
}

function fold(text) {
  return text.toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

function stem(word) {
  if (word.length > 4 && word.endsWith("ies")) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith("s") && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

function tokens(text, stop) {
  return (fold(text).match(WORD) || []).filter((w) => !stop.has(w)).map(stem);
}

function shardFile(key) {
  if (/^[a-z0-9]+$/.test(key)) return `terms/${key}.json`;
  const hex = Array.from(new TextEncoder().encode(key), (b) => b.toString(16).padStart(2, "0")).join("");
  return `terms/x${hex}.json`;
}

// Whether the shard of `key` exists, from meta.json's list (ShardList in search.py):
// a bit per plain key ([a-z0-9], numbered by length, then as a base-36 number), and
// the other keys by name.
function shardChecker(listed) {
  const bits = Uint8Array.from(atob(listed.plain), (c) => c.charCodeAt(0));
  const other = new Set(listed.other);
  return (key) => {
    if (!/^[a-z0-9]+$/.test(key)) return other.has(key);
    const bit = (36 ** key.length - 36) / 35 + parseInt(key, 36);
    return bit < bits.length * 8 && ((bits[bit >> 3] >> (bit & 7)) & 1) === 1;
  };
}

let index;
function loadIndex() {
  index ??= load("meta.json").then((meta) => ({ ...meta, hasShard: shardChecker(meta.shards) }));
  return index;
}

function bucket(id, count) {
  let value = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(id)) value = Math.imul(value ^ byte, 0x01000193) >>> 0;
  return value % count;
}

// Papers holding a term that starts with `word` (the whole word when shorter than a
// shard's prefix), each with its best weight; an exact term scores a little higher.
async function matches(word, meta) {
  const key = Array.from(word).slice(0, meta.prefix).join("");
  const scores = new Map();
  if (!meta.hasShard(key)) return scores;
  const shard = await load(shardFile(key));
  const short = Array.from(word).length < meta.prefix;
  for (const [term, postings] of Object.entries(shard)) {
    if (short ? term !== word : !term.startsWith(word)) continue;
    const bonus = term === word ? 1 : 0;
    for (const posting of postings.split(" ")) {
      const at = posting.lastIndexOf(":");
      const id = at < 0 ? posting : posting.slice(0, at);
      const weight = (at < 0 ? 1 : Number(posting.slice(at + 1))) + bonus;
      if (!(scores.get(id) >= weight)) scores.set(id, weight);
    }
  }
  return scores;
}

async function find(query) {
  const meta = await loadIndex();
  const words = [...new Set(tokens(query, new Set(meta.stop)))];
  if (words.length === 0) return { words, ranked: [], meta };
  const perWord = await Promise.all(words.map((word) => matches(word, meta)));
  perWord.sort((a, b) => a.size - b.size);
  const ranked = [];
  for (const [id, weight] of perWord[0]) {
    let score = weight;
    for (const other of perWord.slice(1)) {
      const w = other.get(id);
      if (w === undefined) { score = -1; break; }
      score += w;
    }
    if (score >= 0) ranked.push([id, score]);
  }
  // Postings list the newest papers first; a stable sort keeps that order among equals.
  ranked.sort((a, b) => b[1] - a[1]);
  return { words, ranked, meta };
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Text as nodes, with every word that a query word begins marked.
function highlighted(text, words) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(WORD)) {
    const folded = stem(fold(match[0]));
    if (!words.some((w) => folded.startsWith(w) || fold(match[0]).startsWith(w))) continue;
    if (match.index > last) nodes.push(document.createTextNode(text.slice(last, match.index)));
    nodes.push(element("mark", null, match[0]));
    last = match.index + match[0].length;
  }
  if (last < text.length) nodes.push(document.createTextNode(text.slice(last)));
  return nodes;
}

function card(record, words) {
  const [path, title, authors, day, tags, upvotes, venue, snippet] = record;
  const item = element("li");
  const article = element("article", "card search-card");
  const body = element("div", "card-body");
  const heading = element("h2", "card-title");
  const link = element("a");
  link.append(...highlighted(title, words));
  link.href = base + path;
  heading.append(link);
  body.append(heading);
  if (authors) body.append(element("p", "search-authors", authors));
  const facts = [day, venue, tags].filter(Boolean).join(" · ");
  if (facts) body.append(element("p", "meta", facts));
  const abstract = element("p", "abstract");
  abstract.append(...highlighted(snippet, words));
  body.append(abstract);
  const votes = element("p", "upvotes");
  votes.append(element("span", null, "▲"), element("span", "count", String(upvotes)));
  article.append(votes, body);
  item.append(article);
  return item;
}

let latest = 0;
async function run() {
  const query = input.value.trim();
  const url = new URL(window.location.href);
  if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
  history.replaceState(null, "", url);
  const ticket = ++latest;
  if (!query) {
    list.replaceChildren();
    status.textContent = "Type to search every paper of this listing.";
    return;
  }
  let found;
  let records;
  try {
    found = await find(query);
    const shown = found.ranked.slice(0, MAX_RESULTS);
    const buckets = await Promise.all(shown.map(([id]) => load(`docs/${bucket(id, found.meta.buckets)}.json`)));
    records = shown.map(([id], i) => buckets[i][id]).filter(Boolean);
  } catch (error) {
    if (ticket === latest) status.textContent = "The search index could not be loaded.";
    return;
  }
  if (ticket !== latest) return; // a newer query superseded this one
  list.replaceChildren(...records.map((record) => card(record, found.words)));
  const count = found.ranked.length;
  status.textContent = count === 0 ? `No papers match “${query}”.`
    : `${count} paper${count === 1 ? " matches" : "s match"} “${query}”${count > MAX_RESULTS ? `; the best ${MAX_RESULTS} are shown` : ""}.`;
}

input.value = new URLSearchParams(window.location.search).get("q") || "";
input.addEventListener("input", run);
root.querySelector("form").addEventListener("submit", (event) => { event.preventDefault(); run(); });
run();
