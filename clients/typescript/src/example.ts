// Lists quotes page by page (following next_cursor), revalidates the first page with its ETag (a 304 costs the
// server no query), and checks an article's annotations against its text with the UTF-16 offsets.
//   node build/example.js http://127.0.0.1:8000
import { articleFacts, spanText, type Article, type Quote } from "./client.js";

const baseUrl = process.argv[2] ?? "http://127.0.0.1:8000";
const api = articleFacts(baseUrl);

const quotes: Quote[] = [];
let cursor: string | undefined;
let pages = 0;
do {
  const { data, error } = await api.GET("/v1/quotes", {
    params: { query: cursor === undefined ? { limit: 5 } : { limit: 5, cursor } },
  });
  if (error !== undefined || data === undefined) throw new Error(`listQuotes failed: ${JSON.stringify(error)}`);
  quotes.push(...(data.data as Quote[])); // whole items: no `fields=` asked for
  cursor = data.next_cursor ?? undefined;
  pages += 1;
} while (cursor !== undefined);
console.log(`${quotes.length} quotes in ${pages} pages; the first by ${quotes[0]?.speaker.name ?? "nobody"}`);

const first = await api.GET("/v1/quotes", { params: { query: { limit: 5 } } });
const etag = first.response.headers.get("ETag");
if (etag === null) throw new Error("no ETag on a list page");
const again = await api.GET("/v1/quotes", { params: { query: { limit: 5 } }, headers: { "If-None-Match": etag } });
if (again.response.status !== 304) throw new Error(`revalidation answered ${again.response.status}, not 304`);
console.log(`revalidated with ${etag}: 304 Not Modified`);

const articleId = quotes[0]?.article;
if (articleId === undefined) throw new Error("no quote to take an article from");
const article = await api.GET("/v1/articles/{article_id}", { params: { path: { article_id: articleId } } });
const annotations = await api.GET("/v1/articles/{article_id}/annotations", {
  params: { path: { article_id: articleId }, query: { type: ["quote", "entity"] } },
});
if (article.data === undefined || annotations.data === undefined) throw new Error("article or annotations missing");
const text = (article.data as Article).text; // whole: no `fields=` asked for
const wrong = annotations.data.data.filter((span) => spanText(text, span) !== span.text);
if (wrong.length > 0) throw new Error(`${wrong.length} spans do not slice to their text`);
console.log(`${annotations.data.data.length} annotations of ${articleId}, each text.slice(start_utf16, end_utf16)`);
