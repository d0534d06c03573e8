//! Machine-written summaries from an OpenAI-compatible chat-completions endpoint (`[llm]`, off by default): a local
//! llama.cpp `llama-server`, or any service that speaks the same protocol.
//!
//! [`SummaryClient::summarize`] POSTs `{endpoint}/chat/completions` with a fixed system prompt and the article as
//! the user message, at temperature 0, and returns the answer's `choices[0].message.content` cleaned by
//! [`clean_summary`] (reasoning blocks, Markdown fences, a "Summary:" preamble and list markers removed, one
//! paragraph, at most [`MAX_SUMMARY_CHARS`]). Errors name the endpoint and say what went wrong.
//!
//! The endpoint is the operator's own setting, usually on loopback, so the sources' SSRF guard does not apply
//! to it; redirects are not followed and proxies not used, so the request goes where the setting says and
//! nowhere else.

use std::time::Duration;

use reqwest::header::{self, HeaderValue};
use serde::Deserialize;
use tidings_core::config::LlmConfig;
use tidings_core::text::cut_at_word;

use crate::error_chain;

/// The version of [`SYSTEM_PROMPT`] and of how [`SummaryClient::prompt`] lays out the article. It is part of what
/// a kept summary is keyed by, so changing either (and this number with it) asks for new summaries.
pub const PROMPT_VERSION: u32 = 1;

/// What the model is told to do.
pub const SYSTEM_PROMPT: &str = "You write short summaries of news articles for the readers of a news site. \
Summarise the article you are given in three sentences, in a neutral tone. Use only facts stated in the article: \
add no background, opinion, speculation or judgement, and keep names, numbers and dates exactly as the article \
gives them. Write in the language of the article. Answer with the three sentences only, as plain text: no \
heading, no introduction, no list, no Markdown.";

/// The longest summary kept, in characters: three sentences fit with room to spare; a model that rambles is cut
/// at a sentence end.
pub const MAX_SUMMARY_CHARS: usize = 1200;

/// The most of an answer read, in bytes: a completion of a few hundred tokens is a few kilobytes.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// How much of an error answer's text goes into the error message.
const ERROR_DETAIL_CHARS: usize = 200;

/// A failed request for a summary. Every message starts with the endpoint's URL.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The HTTP client could not be built (or the API key is not a valid header value).
    #[error("{endpoint}: cannot set up the client: {reason}")]
    Setup {
        /// The chat-completions URL.
        endpoint: String,
        /// What failed.
        reason: String,
    },
    /// No answer within `llm.timeout_secs`.
    #[error("{endpoint}: no answer within {secs} s (llm.timeout_secs)")]
    Timeout {
        /// The chat-completions URL.
        endpoint: String,
        /// The limit.
        secs: u64,
    },
    /// The connection could not be made (nothing listening, DNS, TLS).
    #[error("{endpoint}: could not connect: {reason}")]
    Connect {
        /// The chat-completions URL.
        endpoint: String,
        /// The underlying cause.
        reason: String,
    },
    /// The endpoint answered with an error status.
    #[error("{endpoint}: answered HTTP {status}{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        /// The chat-completions URL.
        endpoint: String,
        /// The HTTP status code.
        status: u16,
        /// The error the endpoint gave, when it said one (shortened).
        detail: Option<String>,
    },
    /// The answer is not a chat completion.
    #[error("{endpoint}: the answer is not a chat completion: {reason}")]
    Malformed {
        /// The chat-completions URL.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The completion holds no summary (no content, or nothing left once cleaned).
    #[error("{endpoint}: the model answered with no summary")]
    Empty {
        /// The chat-completions URL.
        endpoint: String,
    },
    /// Any other failure of the exchange.
    #[error("{endpoint}: request failed: {reason}")]
    Http {
        /// The chat-completions URL.
        endpoint: String,
        /// The underlying cause.
        reason: String,
    },
}

/// Asks an OpenAI-compatible endpoint for article summaries. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct SummaryClient {
    client: reqwest::Client,
    url: String,
    model: String,
    max_tokens: u32,
    max_input_chars: usize,
    timeout_secs: u64,
    /// `Bearer <api_key>`, marked sensitive so it never appears in reqwest's debug output.
    authorization: Option<HeaderValue>,
}

/// Written by hand: the API key stays out of every `{:?}`.
impl std::fmt::Debug for SummaryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SummaryClient")
            .field("url", &self.url)
            .field("model", &self.model)
            .field("authorization", &self.authorization.as_ref().map(|_| "<set, not shown>"))
            .finish_non_exhaustive()
    }
}

/// The chat-completions URL of an endpoint setting: its base URL (`http://host:8081/v1`) with
/// `/chat/completions` added, unless it already ends so.
pub fn completions_url(endpoint: &str) -> String {
    let base = endpoint.trim().trim_end_matches('/');
    if base.ends_with("/chat/completions") { base.to_owned() } else { format!("{base}/chat/completions") }
}

impl SummaryClient {
    /// A client for the endpoint and model of `config` (whose other settings it also takes).
    pub fn new(config: &LlmConfig) -> Result<SummaryClient, LlmError> {
        crate::install_crypto_provider();
        let url = completions_url(&config.endpoint);
        let setup = |reason: String| LlmError::Setup { endpoint: url.clone(), reason };
        let timeout_secs = config.timeout_secs.max(1);
        let authorization = match config.api_key.trim() {
            "" => None,
            key => {
                // The key itself stays out of the message: it is a secret.
                let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
                    .map_err(|_| setup("llm.api_key has characters an HTTP header cannot carry".to_owned()))?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        let client = reqwest::Client::builder()
            .user_agent(format!("Tidings/{} (machine-written summaries)", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(timeout_secs))
            .connect_timeout(Duration::from_secs(timeout_secs.min(10)))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| setup(error_chain(&e)))?;
        Ok(SummaryClient {
            client,
            url,
            model: config.model.trim().to_owned(),
            max_tokens: config.max_tokens,
            max_input_chars: config.max_input_chars,
            timeout_secs,
            authorization,
        })
    }

    /// The chat-completions URL requests go to.
    pub fn endpoint(&self) -> &str {
        &self.url
    }

    /// The model asked for.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// The longest one request may take (`llm.timeout_secs`).
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    /// The user message for an article: its title and its text, cut to `llm.max_input_chars` at a word.
    pub fn prompt(&self, title: &str, text: &str) -> String {
        format!("Title: {}\n\nArticle:\n{}", title.trim(), cut_at_word(text.trim(), self.max_input_chars))
    }

    /// Asks for a summary of `prompt` (from [`SummaryClient::prompt`]) and returns it cleaned.
    pub async fn summarize(&self, prompt: &str) -> Result<String, LlmError> {
        let endpoint = || self.url.clone();
        let body = serde_json::json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": prompt},
            ],
            "temperature": 0,
            "max_tokens": self.max_tokens,
            "stream": false,
        });
        let mut request = self
            .client
            .post(&self.url)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json")
            .body(body.to_string());
        if let Some(value) = &self.authorization {
            request = request.header(header::AUTHORIZATION, value.clone());
        }
        let mut response = request.send().await.map_err(|e| self.map_error(&e))?;
        let status = response.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.map_error(&e))? {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(LlmError::Malformed {
                    endpoint: endpoint(),
                    reason: format!("it is larger than {MAX_RESPONSE_BYTES} bytes"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            return Err(LlmError::Status {
                endpoint: endpoint(),
                status: status.as_u16(),
                detail: error_detail(&bytes),
            });
        }
        let content =
            parse_completion(&bytes).map_err(|reason| LlmError::Malformed { endpoint: endpoint(), reason })?;
        content.as_deref().and_then(clean_summary).ok_or_else(|| LlmError::Empty { endpoint: endpoint() })
    }

    fn map_error(&self, err: &reqwest::Error) -> LlmError {
        let endpoint = self.url.clone();
        if err.is_timeout() {
            LlmError::Timeout { endpoint, secs: self.timeout_secs }
        } else if err.is_connect() {
            LlmError::Connect { endpoint, reason: error_chain(err) }
        } else {
            LlmError::Http { endpoint, reason: error_chain(err) }
        }
    }
}

/// The chat completion's answer: `choices[0].message.content`, which may be null (a model that called a tool).
#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
}

#[derive(Deserialize)]
struct Message {
    content: Option<String>,
}

/// The text of a chat-completions answer (`choices[0].message.content`), none when it is null; the error says
/// what is missing or wrong.
pub fn parse_completion(body: &[u8]) -> Result<Option<String>, String> {
    let completion: Completion = serde_json::from_slice(body).map_err(|e| {
        let start = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        format!("{e} (the answer starts {start:?})")
    })?;
    let first = completion.choices.into_iter().next().ok_or_else(|| "it has no choices".to_owned())?;
    Ok(first.message.content)
}

/// The error an endpoint gave with an error status: OpenAI's and llama.cpp's `{"error": {"message": …}}`, else the
/// start of the body's text; shortened either way.
fn error_detail(body: &[u8]) -> Option<String> {
    let from_json = serde_json::from_slice::<serde_json::Value>(body).ok().and_then(|v| {
        let error = v.get("error")?;
        error.get("message").and_then(|m| m.as_str()).or_else(|| error.as_str()).map(str::to_owned)
    });
    let text = from_json.unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then(|| cut_at_word(&text, ERROR_DETAIL_CHARS))
}

/// A model's answer as a summary to show: one paragraph of plain text, or none when nothing is left.
///
/// Models wrap their answers despite the prompt: reasoning models put a `<think>…</think>` block first, others
/// fence the text in Markdown, open with "Summary:" or "Here is a summary of the article:", or make the three
/// sentences a list. All of that goes; what remains is joined into one paragraph and cut at a sentence end past
/// [`MAX_SUMMARY_CHARS`].
pub fn clean_summary(raw: &str) -> Option<String> {
    let mut text = raw;
    // An unclosed block is all reasoning and no answer.
    if let Some(end) = text.rfind("</think>") {
        text = &text[end + "</think>".len()..];
    } else if text.trim_start().starts_with("<think>") {
        return None;
    }
    let mut lines: Vec<&str> =
        text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with("```")).collect();
    // A preamble: a heading, or a short line that announces what follows ("Here is a summary:").
    while lines.len() > 1 {
        let first = lines[0];
        if first.starts_with('#') || (first.ends_with(':') && first.chars().count() <= 120) {
            lines.remove(0);
        } else {
            break;
        }
    }
    let mut paragraph = String::new();
    for line in lines {
        let line = strip_list_marker(line).replace("**", "").replace("__", "");
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !paragraph.is_empty() {
            paragraph.push(' ');
        }
        paragraph.push_str(line);
    }
    let collapsed = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    let paragraph = strip_quotes(strip_label(&collapsed));
    if paragraph.is_empty() {
        return None;
    }
    Some(cap_at_sentence(paragraph, MAX_SUMMARY_CHARS))
}

/// A list item's text without its marker (`- `, `* `, `• `, `1. `, `2) `).
fn strip_list_marker(line: &str) -> &str {
    for marker in ["- ", "* ", "• ", "– "] {
        if let Some(rest) = line.strip_prefix(marker) {
            return rest;
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=2).contains(&digits) {
        let rest = &line[digits..];
        if let Some(rest) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return rest;
        }
    }
    line
}

/// The text without a leading label ending in "summary" and a colon ("Summary:", "Neutral summary: …").
fn strip_label(text: &str) -> &str {
    let Some(colon) = text.char_indices().take(60).find(|&(_, c)| c == ':').map(|(i, _)| i) else { return text };
    let label = text[..colon].trim_matches(|c: char| c == '*' || c == '#' || c.is_whitespace()).to_lowercase();
    if label.ends_with("summary") || label == "tl;dr" { text[colon + 1..].trim_start() } else { text }
}

/// The text without quotation marks around the whole of it.
fn strip_quotes(text: &str) -> &str {
    for (open, close) in [('"', '"'), ('“', '”'), ('«', '»')] {
        if let Some(inner) = text.strip_prefix(open).and_then(|t| t.strip_suffix(close))
            && !inner.contains([open, close])
        {
            return inner.trim();
        }
    }
    text
}

/// `text` cut to at most `max` characters: at the last sentence end within the limit when that keeps at least half
/// of it, else at a word with an ellipsis.
fn cap_at_sentence(text: &str, max: usize) -> String {
    let Some((cut, _)) = text.char_indices().nth(max) else { return text.to_owned() };
    let head = &text[..cut];
    let end = head
        .char_indices()
        .filter(|&(i, c)| {
            matches!(c, '.' | '!' | '?' | '。' | '！' | '？')
                && head[i + c.len_utf8()..].chars().next().is_none_or(char::is_whitespace)
        })
        .map(|(i, c)| i + c.len_utf8())
        .next_back();
    match end {
        Some(end) if end > cut / 2 => head[..end].to_owned(),
        _ => cut_at_word(text, max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_are_parsed_from_the_first_choice() {
        let body = br#"{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant",
            "content":"The council voted."},"finish_reason":"stop"},{"message":{"content":"other"}}]}"#;
        assert_eq!(parse_completion(body).unwrap().as_deref(), Some("The council voted."));
        let null = br#"{"choices":[{"message":{"role":"assistant","content":null}}]}"#;
        assert_eq!(parse_completion(null).unwrap(), None);
        assert!(parse_completion(br#"{"choices":[]}"#).unwrap_err().contains("no choices"));
        let err = parse_completion(b"<html>Bad Gateway</html>").unwrap_err();
        assert!(err.contains("the answer starts \"<html>Bad Gateway</html>\""), "{err}");
        assert!(parse_completion(br#"{"object":"error"}"#).unwrap_err().contains("choices"));
    }

    #[test]
    fn error_answers_give_their_message() {
        let llama = br#"{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}"#;
        assert_eq!(error_detail(llama).as_deref(), Some("Loading model"));
        assert_eq!(error_detail(b"upstream   exploded\n").as_deref(), Some("upstream exploded"));
        assert_eq!(error_detail(b""), None);
        assert!(error_detail("x ".repeat(500).as_bytes()).unwrap().chars().count() <= ERROR_DETAIL_CHARS + 1);
    }

    #[test]
    fn a_plain_answer_is_kept_as_one_paragraph() {
        let raw = "  The council approved the tram.\nIt opens in 2029.\n\nIt cost 84 million marks.  ";
        assert_eq!(
            clean_summary(raw).as_deref(),
            Some("The council approved the tram. It opens in 2029. It cost 84 million marks.")
        );
    }

    #[test]
    fn wrappers_models_add_are_removed() {
        let cases = [
            (
                "```\nThe council approved the tram. It opens in 2029.\n```",
                "The council approved the tram. It opens in 2029.",
            ),
            ("```text\nThe council approved the tram.\n```", "The council approved the tram."),
            ("Summary: The council approved the tram.", "The council approved the tram."),
            ("**Summary:** The council approved the tram.", "The council approved the tram."),
            ("Neutral three-sentence summary: The council approved the tram.", "The council approved the tram."),
            (
                "Here is a neutral summary of the article:\n\nThe council approved the tram.",
                "The council approved the tram.",
            ),
            ("## Summary\nThe council approved the tram.", "The council approved the tram."),
            (
                "- The council approved the tram.\n- It opens in 2029.\n- It cost **84 million** marks.",
                "The council approved the tram. It opens in 2029. It cost 84 million marks.",
            ),
            (
                "1. The council approved the tram.\n2) It opens in 2029.",
                "The council approved the tram. It opens in 2029.",
            ),
            (
                "<think>The user wants three sentences.</think>\nThe council approved the tram.",
                "The council approved the tram.",
            ),
            ("\"The council approved the tram.\"", "The council approved the tram."),
        ];
        for (raw, expected) in cases {
            assert_eq!(clean_summary(raw).as_deref(), Some(expected), "{raw:?}");
        }
    }

    #[test]
    fn a_colon_inside_the_text_is_kept() {
        let raw = "The mayor said: the line opens in 2029. Critics disagree.";
        assert_eq!(clean_summary(raw).as_deref(), Some(raw));
        // A single line ending in a colon is the answer, not a preamble to one.
        assert_eq!(clean_summary("Two stops are added:").as_deref(), Some("Two stops are added:"));
    }

    #[test]
    fn nothing_left_is_no_summary() {
        for raw in ["", "   \n ", "```\n```", "<think>still thinking", "Summary:", "**"] {
            assert_eq!(clean_summary(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn long_answers_are_cut_at_a_sentence_end() {
        let sentence = "The council approved the harbour tram extension after a long debate. ";
        let long = sentence.repeat(40);
        let summary = clean_summary(&long).unwrap();
        assert!(summary.chars().count() <= MAX_SUMMARY_CHARS, "{}", summary.len());
        assert!(summary.ends_with("debate."), "{summary}");
        let no_stop = "word ".repeat(600);
        let summary = clean_summary(&no_stop).unwrap();
        assert!(summary.ends_with("word…") && summary.chars().count() <= MAX_SUMMARY_CHARS + 1, "{summary}");
    }

    #[test]
    fn the_prompt_cuts_long_text_at_a_word_and_endpoints_get_their_path() {
        let config = LlmConfig {
            endpoint: "http://127.0.0.1:8081/v1/".into(),
            model: " local ".into(),
            max_input_chars: 200,
            ..LlmConfig::default()
        };
        let client = SummaryClient::new(&config).unwrap();
        assert_eq!(client.endpoint(), "http://127.0.0.1:8081/v1/chat/completions");
        assert_eq!(client.model(), "local");
        let prompt = client.prompt(" Tram vote ", &"harbour ".repeat(100));
        assert!(prompt.starts_with("Title: Tram vote\n\nArticle:\nharbour harbour"), "{prompt}");
        assert!(prompt.ends_with("harbour…") && prompt.len() < 260, "{prompt}");
        assert_eq!(
            completions_url("https://api.example/v1/chat/completions"),
            "https://api.example/v1/chat/completions"
        );
    }

    #[test]
    fn the_api_key_stays_out_of_debug_output() {
        let config = LlmConfig {
            endpoint: "http://127.0.0.1:8081/v1".into(),
            model: "m".into(),
            api_key: "sk-very-secret".into(),
            ..LlmConfig::default()
        };
        let shown = format!("{:?}", SummaryClient::new(&config).unwrap());
        assert!(!shown.contains("sk-very-secret") && shown.contains("<set, not shown>"), "{shown}");
        let bad = LlmConfig { api_key: "line\nbreak".into(), ..config };
        let err = SummaryClient::new(&bad).unwrap_err().to_string();
        assert!(err.contains("llm.api_key") && !err.contains("line\nbreak"), "{err}");
    }
}
