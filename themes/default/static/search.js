// Search on a static host: Pagefind's index, fetched chunk by chunk as a query needs it.
// Results are drawn as paper cards from text only (no HTML from the index is trusted,
// except Pagefind's <mark> highlighting, rebuilt element by element).
const root = document.querySelector("[data-search]");
const base = root.dataset.base;
const input = document.getElementById("search-input");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const MAX_RESULTS = 30;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function excerptNodes(excerpt) {
  const parsed = new DOMParser().parseFromString(excerpt, "text/html");
  return Array.from(parsed.body.childNodes).map((node) =>
    node.nodeName === "MARK" ? element("mark", null, node.textContent) : document.createTextNode(node.textContent));
}

function card(result) {
  const meta = result.meta || {};
  const item = element("li");
  const article = element("article", "card search-card");
  const body = element("div", "card-body");
  const heading = element("h2", "card-title");
  const link = element("a", null, meta.title || result.url);
  link.href = result.url;
  heading.append(link);
  body.append(heading);
  if (meta.authors) body.append(element("p", "search-authors", meta.authors));
  const facts = [meta.day, meta.venue, meta.tags].filter(Boolean).join(" · ");
  if (facts) body.append(element("p", "meta", facts));
  const excerpt = element("p", "abstract");
  excerpt.append(...excerptNodes(result.excerpt || ""));
  body.append(excerpt);
  const votes = element("p", "upvotes");
  votes.append(element("span", null, "▲"), element("span", "count", meta.upvotes || "0"));
  article.append(votes, body);
  item.append(article);
  return item;
}

let pagefind;
async function load() {
  if (!pagefind) {
    pagefind = await import(`${base}pagefind/pagefind.js`);
    await pagefind.options({ baseUrl: base });
  }
  return pagefind;
}

async function run() {
  const query = input.value.trim();
  const url = new URL(window.location.href);
  if (query) url.searchParams.set("q", query); else url.searchParams.delete("q");
  history.replaceState(null, "", url);
  if (!query) {
    list.replaceChildren();
    status.textContent = "Type to search every paper of this listing.";
    return;
  }
  let engine;
  try {
    engine = await load();
  } catch (error) {
    status.textContent = "The search index could not be loaded.";
    return;
  }
  const search = await engine.debouncedSearch(query, {}, 150);
  if (search === null) return; // a newer query superseded this one
  const results = await Promise.all(search.results.slice(0, MAX_RESULTS).map((r) => r.data()));
  list.replaceChildren(...results.map(card));
  const count = search.results.length;
  status.textContent = count === 0 ? `No papers match “${query}”.`
    : `${count} paper${count === 1 ? " matches" : "s match"} “${query}”${count > MAX_RESULTS ? `; the best ${MAX_RESULTS} are shown` : ""}.`;
}

input.value = new URLSearchParams(window.location.search).get("q") || "";
input.addEventListener("input", run);
root.querySelector("form").addEventListener("submit", (event) => { event.preventDefault(); run(); });
run();
