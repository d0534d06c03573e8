//! Text analysis for Tidings: tokenisation, online story clustering, near-duplicate detection and choosing the
//! original among syndicated copies. Pure: text in, values out.
//!
//! ```
//! use tidings_text::{ClusterConfig, ClusterInput, StoryClusterer};
//! let mut c = StoryClusterer::new(ClusterConfig::default());
//! let a = c.add(&ClusterInput { title: "Quake hits Chile", text: "A strong earthquake struck Chile.", ..Default::default() });
//! assert_eq!(c.resolve(a), a);
//! ```
#![deny(missing_docs)]

pub mod ask;
pub mod brief;
pub mod cluster;
pub mod dedup;
pub mod entities;
pub mod entity_names;
pub mod headline;
pub mod language;
pub mod sentences;
pub mod summary;
pub mod syndication;
pub mod tokenize;
pub mod topics;

pub use brief::{Brief, BriefArticle, BriefPoint, story_brief};
pub use cluster::{ClusterConfig, ClusterInput, StoryClusterer, StoryId, StoryView};
pub use dedup::{DupConfig, DupIndex, Fingerprint, Overlap};
pub use headline::pick_headline;
pub use language::{AidSupport, Language, detect_language, supports_aids};
pub use summary::{Digest, Summary, SummaryStatus, digest, key_points, summarize};
pub use syndication::{CopyEvidence, OriginalReason, choose_original};
pub use topics::{Topic, TopicScore, TopicSource};
