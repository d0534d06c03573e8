//! Tidings' full-text search on the embedded default: a tantivy index in `<data_dir>/search`, behind
//! [`tidings_core::SearchIndex`].
//!
//! One process writes (the pipeline's search stage, or `tidings reindex`); tantivy's lock file refuses a second
//! writer with a clear error. Searches run on a reader that is reloaded after every commit, so new articles are
//! searchable as soon as their batch is committed.
//!
//! Ranking: BM25 over the text, in which the title is counted twice, so a word in the headline weighs more
//! than one in the body. The best [`CANDIDATES_PER_RESULT`] times as many hits as asked for are taken by BM25
//! alone (tantivy's block-max WAND skips most of a common word's postings), then re-ranked by BM25 times a
//! recency factor that halves every [`RECENCY_HALF_LIFE_HOURS`] from `1 + RECENCY_WEIGHT` down to 1: among
//! equally relevant articles the newer wins, and a much more relevant old article still beats a barely relevant
//! new one. Queries of filters alone (`outlet:`, `topic:`, dates) list the newest first.
#![deny(missing_docs)]

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tantivy::Order;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument, Term};
use tidings_core::search::{Fragment, SearchHit, SearchResults};
use tidings_core::{ArticleId, SearchDoc, SearchError, SearchIndex, SearchQuery};

/// How much a brand-new article's score is raised: at most by this factor plus one.
pub const RECENCY_WEIGHT: f32 = 1.0;
/// Every this many hours of age halves the recency boost.
pub const RECENCY_HALF_LIFE_HOURS: f32 = 72.0;
/// Characters of text around the matches shown as a snippet.
pub const SNIPPET_CHARS: usize = 220;
/// Hits taken by BM25 per result asked for, before re-ranking by recency.
pub const CANDIDATES_PER_RESULT: usize = 5;
/// At least this many candidates are re-ranked.
const MIN_CANDIDATES: usize = 200;
/// Memory for the writer's in-progress segment.
const WRITER_MEMORY_BYTES: usize = 64 * 1024 * 1024;
/// The analyzer for titles and text: words, lower-cased, accents folded, English stems.
const TEXT_TOKENIZER: &str = "tidings_text";
/// The analyzer for outlet names and topics: words, lower-cased, accents folded, no stemming.
const NAME_TOKENIZER: &str = "tidings_name";

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    source_id: Field,
    /// What is searched: the title twice, then the body.
    text: Field,
    /// The body as stored, for snippets.
    body: Field,
    outlet: Field,
    topic: Field,
    published: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analysed = |tokenizer: &str| {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        TextOptions::default().set_indexing_options(indexing)
    };
    let fields = Fields {
        id: builder.add_i64_field("id", INDEXED | STORED | FAST),
        source_id: builder.add_i64_field("source_id", INDEXED | FAST),
        text: builder.add_text_field("text", analysed(TEXT_TOKENIZER)),
        body: builder.add_text_field("body", STORED),
        outlet: builder.add_text_field("outlet", analysed(NAME_TOKENIZER)),
        topic: builder.add_text_field("topic", analysed(NAME_TOKENIZER)),
        published: builder.add_i64_field("published", INDEXED | FAST),
    };
    (builder.build(), fields)
}

fn register_tokenizers(index: &Index) {
    let text = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::English))
        .build();
    let name = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(48))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build();
    index.tokenizers().register(TEXT_TOKENIZER, text);
    index.tokenizers().register(NAME_TOKENIZER, name);
}

/// The tantivy index.
pub struct TantivyIndex {
    index: Index,
    reader: IndexReader,
    writer: Option<Arc<Mutex<IndexWriter>>>,
    fields: Fields,
    path: PathBuf,
}

impl TantivyIndex {
    /// Opens the index in `dir`, creating it when absent. With `writable`, takes the writer lock (one process
    /// at a time); without, only searches.
    pub fn open(dir: &Path, writable: bool) -> Result<TantivyIndex, SearchError> {
        let open_err = |reason: String| SearchError::Open { path: dir.display().to_string(), reason };
        std::fs::create_dir_all(dir).map_err(|e| open_err(format!("cannot create the directory: {e}")))?;
        let (schema, fields) = schema();
        let exists = dir.join("meta.json").exists();
        let index = if exists {
            let index = Index::open_in_dir(dir).map_err(|e| open_err(e.to_string()))?;
            if index.schema() != schema {
                return Err(open_err(
                    "it was built by another version of Tidings; rebuild it with `tidings reindex`".to_owned(),
                ));
            }
            index
        } else {
            Index::create_in_dir(dir, schema).map_err(|e| open_err(e.to_string()))?
        };
        register_tokenizers(&index);
        let writer = if writable {
            let writer = index.writer_with_num_threads(1, WRITER_MEMORY_BYTES).map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => open_err(
                    "another Tidings process is writing to it (stop `tidings serve` before `tidings reindex`)"
                        .to_owned(),
                ),
                other => open_err(other.to_string()),
            })?;
            Some(Arc::new(Mutex::new(writer)))
        } else {
            None
        };
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .map_err(|e: tantivy::TantivyError| open_err(e.to_string()))?;
        Ok(TantivyIndex { index, reader, writer, fields, path: dir.to_owned() })
    }

    /// Where the index lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn writer(&self) -> Result<Arc<Mutex<IndexWriter>>, SearchError> {
        self.writer.clone().ok_or_else(|| SearchError::Backend("the search index was opened read-only".to_owned()))
    }

    /// Runs `f` on the writer on a blocking thread, commits, and reloads the reader.
    async fn write(
        &self,
        f: impl FnOnce(&mut IndexWriter, &Fields) -> tantivy::Result<()> + Send + 'static,
    ) -> Result<(), SearchError> {
        let writer = self.writer()?;
        let fields = self.fields;
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let mut writer = writer.lock().map_err(|_| SearchError::Backend("the index writer was poisoned".into()))?;
            f(&mut writer, &fields).and_then(|()| writer.commit().map(|_| ())).map_err(backend)?;
            reader.reload().map_err(backend)
        })
        .await
        .map_err(|e| SearchError::Backend(format!("index writer task: {e}")))?
    }

    /// The query for `query`; `positive_only` leaves out exclusions (for highlighting). Words become a plain
    /// conjunction of term queries on one field, the shape tantivy prunes with block-max WAND.
    fn build_query(&self, query: &SearchQuery, positive_only: bool) -> Box<dyn Query> {
        let f = self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for text in query.words.iter().chain(&query.phrases) {
            clauses.push((Occur::Must, self.text_query(f.text, TEXT_TOKENIZER, text)));
        }
        if !positive_only {
            for text in &query.excluded {
                clauses.push((Occur::MustNot, self.text_query(f.text, TEXT_TOKENIZER, text)));
            }
        }
        for (field, values) in [(f.outlet, &query.outlets), (f.topic, &query.topics)] {
            let mut any: Vec<(Occur, Box<dyn Query>)> =
                values.iter().map(|value| (Occur::Should, self.text_query(field, NAME_TOKENIZER, value))).collect();
            match any.len() {
                0 => {}
                1 => clauses.push((Occur::Must, any.remove(0).1)),
                _ => clauses.push((Occur::Must, Box::new(BooleanQuery::new(any)))),
            }
        }
        if query.after.is_some() || query.before.is_some() {
            let lower = query
                .after
                .map_or(Bound::Unbounded, |t| Bound::Included(Term::from_field_i64(f.published, t.timestamp())));
            let upper = query
                .before
                .map_or(Bound::Unbounded, |t| Bound::Excluded(Term::from_field_i64(f.published, t.timestamp())));
            clauses.push((Occur::Must, Box::new(RangeQuery::new(lower, upper))));
        }
        if !clauses.iter().any(|(occur, _)| *occur == Occur::Must) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        if clauses.len() == 1 {
            return clauses.remove(0).1;
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// A term query, or a phrase query when `text` analyses to several tokens; nothing matches when it analyses
    /// to none (a word made only of characters the tokenizer drops).
    fn text_query(&self, field: Field, tokenizer: &str, text: &str) -> Box<dyn Query> {
        let mut terms = Vec::new();
        if let Some(mut analyzer) = self.index.tokenizers().get(tokenizer) {
            let mut stream = analyzer.token_stream(text);
            while let Some(token) = stream.next() {
                terms.push(Term::from_field_text(field, &token.text));
            }
        }
        match terms.len() {
            0 => Box::new(EmptyQuery),
            1 => Box::new(TermQuery::new(terms.remove(0), IndexRecordOption::WithFreqs)),
            _ => Box::new(PhraseQuery::new(terms)),
        }
    }

    fn search_blocking(
        &self,
        searcher: &Searcher,
        query: &SearchQuery,
        offset: usize,
        limit: usize,
        now: DateTime<Utc>,
    ) -> tantivy::Result<SearchResults> {
        let full = self.build_query(query, false);

        let wanted = offset + limit.max(1);
        let (ranked, total): (Vec<(f32, DocAddress)>, usize) = if query.words.is_empty() && query.phrases.is_empty() {
            // Filters alone score every match alike: newest first.
            let newest = TopDocs::with_limit(limit.max(1))
                .and_offset(offset)
                .order_by_fast_field::<i64>("published", Order::Desc);
            let (newest, total) = searcher.search(&*full, &(newest, Count))?;
            (newest.into_iter().map(|(_, address)| (0.0, address)).collect(), total)
        } else {
            let candidates = TopDocs::with_limit((wanted * CANDIDATES_PER_RESULT).max(MIN_CANDIDATES)).order_by_score();
            let (by_relevance, total) = if query.phrases.is_empty() && query.excluded.is_empty() {
                // Plain words: counting apart lets the ranking skip most postings (block-max WAND).
                (searcher.search(&*full, &candidates)?, searcher.search(&*full, &Count)?)
            } else {
                // Phrases and exclusions visit every match anyway: count and rank in one pass.
                searcher.search(&*full, &(candidates, Count))?
            };
            let mut blended = self.blend_recency(searcher, by_relevance, now);
            blended.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            (blended.into_iter().skip(offset).take(limit).collect(), total)
        };
        let positive = self.build_query(query, true);
        let mut snippets = SnippetGenerator::create(searcher, &*positive, self.fields.text)?;
        snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut hits = Vec::with_capacity(ranked.len());
        for (score, address) in ranked {
            hits.push(self.hit(searcher, &snippets, address, score)?);
        }
        Ok(SearchResults { total, hits })
    }

    /// BM25 times the recency factor, for each candidate.
    fn blend_recency(
        &self,
        searcher: &Searcher,
        candidates: Vec<(f32, DocAddress)>,
        now: DateTime<Utc>,
    ) -> Vec<(f32, DocAddress)> {
        let now_secs = now.timestamp();
        let decay_per_sec = std::f32::consts::LN_2 / (RECENCY_HALF_LIFE_HOURS * 3600.0);
        let columns: Vec<_> =
            searcher.segment_readers().iter().map(|segment| segment.fast_fields().i64("published").ok()).collect();
        candidates
            .into_iter()
            .map(|(score, address)| {
                let published = columns
                    .get(address.segment_ord as usize)
                    .and_then(Option::as_ref)
                    .and_then(|column| column.first(address.doc_id))
                    .unwrap_or(now_secs);
                let age = (now_secs - published).max(0) as f32;
                (score * (1.0 + RECENCY_WEIGHT * (-decay_per_sec * age).exp()), address)
            })
            .collect()
    }

    fn hit(
        &self,
        searcher: &Searcher,
        snippets: &SnippetGenerator,
        address: DocAddress,
        score: f32,
    ) -> tantivy::Result<SearchHit> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let id = doc.get_first(self.fields.id).and_then(|v| v.as_i64()).unwrap_or_default();
        let body = doc.get_first(self.fields.body).and_then(|v| v.as_str()).unwrap_or_default();
        let snippet = snippets.snippet(body);
        let fragments = if snippet.highlighted().is_empty() {
            // No match in the body (a title or filter match): its opening instead.
            vec![Fragment { text: opening(body, SNIPPET_CHARS), hit: false }]
        } else {
            fragments(snippet.fragment(), snippet.highlighted())
        };
        Ok(SearchHit { id, score, snippet: fragments })
    }
}

fn backend(e: tantivy::TantivyError) -> SearchError {
    SearchError::Backend(e.to_string())
}

/// The first `max_chars` characters of `text`, cut at a word, with an ellipsis when cut.
fn opening(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max_chars) {
        None => text.to_owned(),
        Some((end, _)) => {
            let cut = text[..end].rfind(char::is_whitespace).unwrap_or(end);
            format!("{}…", text[..cut].trim_end())
        }
    }
}

/// Splits a snippet into plain and highlighted pieces.
fn fragments(text: &str, highlighted: &[std::ops::Range<usize>]) -> Vec<Fragment> {
    let mut out = Vec::new();
    let mut at = 0;
    for range in highlighted {
        let (start, end) = (range.start.min(text.len()), range.end.min(text.len()));
        if start < at || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            continue;
        }
        if start > at {
            out.push(Fragment { text: text[at..start].to_owned(), hit: false });
        }
        if end > start {
            out.push(Fragment { text: text[start..end].to_owned(), hit: true });
        }
        at = end;
    }
    if at < text.len() {
        out.push(Fragment { text: text[at..].to_owned(), hit: false });
    }
    out
}

#[async_trait]
impl SearchIndex for TantivyIndex {
    fn backend(&self) -> &'static str {
        "tantivy"
    }

    async fn upsert(&self, docs: Vec<SearchDoc>) -> Result<(), SearchError> {
        if docs.is_empty() {
            return Ok(());
        }
        self.write(move |writer, f| {
            for doc in docs {
                writer.delete_term(Term::from_field_i64(f.id, doc.id));
                let mut out = TantivyDocument::default();
                out.add_i64(f.id, doc.id);
                out.add_i64(f.source_id, doc.source_id);
                // The title twice: a headline word counts double in BM25's term frequency.
                out.add_text(f.text, &doc.title);
                out.add_text(f.text, &doc.title);
                out.add_text(f.text, &doc.text);
                out.add_text(f.body, &doc.text);
                out.add_text(f.outlet, &doc.outlet);
                out.add_text(f.topic, &doc.topic);
                out.add_i64(f.published, doc.published_at.timestamp());
                writer.add_document(out)?;
            }
            Ok(())
        })
        .await
    }

    async fn remove(&self, ids: Vec<ArticleId>) -> Result<(), SearchError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.write(move |writer, f| {
            for id in ids {
                writer.delete_term(Term::from_field_i64(f.id, id));
            }
            Ok(())
        })
        .await
    }

    async fn clear(&self) -> Result<(), SearchError> {
        self.write(|writer, _| writer.delete_all_documents().map(|_| ())).await
    }

    async fn count(&self) -> Result<usize, SearchError> {
        Ok(self.reader.searcher().num_docs() as usize)
    }

    async fn search(
        &self,
        query: &SearchQuery,
        offset: usize,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<SearchResults, SearchError> {
        // A search is a few milliseconds of CPU: run it in place rather than paying for a thread hop.
        let searcher = self.reader.searcher();
        self.search_blocking(&searcher, query, offset, limit, now).map_err(backend)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fragments_split_around_highlights() {
        let parts = fragments("the flood warning stays", &[4..9, 10..17]);
        let hits: Vec<(&str, bool)> = parts.iter().map(|f| (f.text.as_str(), f.hit)).collect();
        assert_eq!(hits, [("the ", false), ("flood", true), (" ", false), ("warning", true), (" stays", false)]);
    }

    #[test]
    fn overlapping_or_out_of_range_highlights_are_ignored() {
        let parts = fragments("abc", &[0..2, 1..3, 2..9]);
        let joined: String = parts.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(joined, "abc");
    }

    #[test]
    fn opening_cuts_at_a_word() {
        assert_eq!(opening("one two three", 100), "one two three");
        assert_eq!(opening("one two three", 9), "one two…");
    }
}
