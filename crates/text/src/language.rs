//! Which language an article is written in, and which reading aids work for that language.
//!
//! Detection uses the `whatlang` trigram models (pure Rust, bundled data) on the title and the start of the
//! text. A feed's or page's declared `lang` is often wrong (a site-wide default) but is the better guide for
//! short texts, where trigram statistics are thin; so the detected language wins when the text is long enough
//! and the detector is sure, and the declared one otherwise.
//!
//! ```
//! use tidings_text::language::{detect_language, supports_aids};
//! let text = "El Ayuntamiento aprobó este martes la ampliación de la línea de tranvía hasta el puerto, \
//!     una obra que los vecinos reclamaban desde hace más de diez años y que costará 40 millones de euros.";
//! let lang = detect_language("El tranvía llegará al puerto", text, Some("en-US")).unwrap();
//! assert_eq!(lang.code, "es");
//! assert!(supports_aids(lang.code).summary && !supports_aids(lang.code).topics);
//! ```

use whatlang::Lang;

/// A language, as an ISO 639-1 code, with how sure we are of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Language {
    /// ISO 639-1 code, lowercase: "en", "es", "zh".
    pub code: &'static str,
    /// 0.0..=1.0: the detector's confidence, or a fixed lower figure when the declared language was taken.
    pub confidence: f32,
    /// Where the answer came from.
    pub source: LanguageSource,
}

/// Where a [`Language`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LanguageSource {
    /// Detected from the text.
    Detected,
    /// The feed's or page's declared language, taken because detection was unsure or the text short.
    Declared,
}

/// Below this many words the trigram detector is not trusted over a declared language.
const MIN_WORDS: usize = 20;
/// Detector confidence from which the detected language overrides a declared one.
const RELIABLE: f64 = 0.5;
/// With nothing declared, the least confidence at which a detection is still returned.
const MIN_UNDECLARED: f64 = 0.2;
/// The confidence reported for a declared language that detection did not confirm.
const DECLARED_CONFIDENCE: f32 = 0.5;
/// Trigram statistics settle well before this; the cap keeps detection cheap on long articles.
const MAX_TEXT_BYTES: usize = 1200;

/// The language of an article from its title and text, and the language its feed or page declared (any BCP 47
/// tag or ISO 639 code: "en-GB", "pt_BR", "deu"; normalised to the primary subtag). `None` when neither the
/// text nor the declaration says.
pub fn detect_language(title: &str, text: &str, declared: Option<&str>) -> Option<Language> {
    let declared = declared.and_then(normalize_code);
    let body = prefix(text, MAX_TEXT_BYTES);
    let words = count_words(title) + count_words(body);
    let mut sample = String::with_capacity(title.len() + body.len() + 2);
    sample.push_str(title);
    sample.push_str(". ");
    sample.push_str(body);
    let detected =
        whatlang::detect(&sample).and_then(|info| Some((iso639_1(info.lang())?, info.confidence(), info.script())));

    let declared_answer =
        |code| Some(Language { code, confidence: DECLARED_CONFIDENCE, source: LanguageSource::Declared });
    match (detected, declared) {
        // Agreement: as sure as the more confident of the two.
        (Some((code, conf, _)), Some(d)) if code == d => Some(Language {
            code,
            confidence: (conf as f32).max(DECLARED_CONFIDENCE),
            source: LanguageSource::Detected,
        }),
        // A script used by one language only (Greek, Hebrew, Korean, ...) needs no statistics; nor does a
        // declaration in another script.
        (Some((code, conf, script)), Some(d)) if single_language_script(script) || script_differs(d, script) => {
            Some(Language { code, confidence: conf as f32, source: LanguageSource::Detected })
        }
        (Some((code, conf, _)), Some(d)) => {
            if words >= MIN_WORDS && conf >= RELIABLE {
                Some(Language { code, confidence: conf as f32, source: LanguageSource::Detected })
            } else {
                declared_answer(d)
            }
        }
        (None, Some(d)) => declared_answer(d),
        (Some((code, conf, script)), None) => {
            // Short texts are where close languages (Spanish and Catalan) get confused: demand more of them.
            let needed = if words >= MIN_WORDS { MIN_UNDECLARED } else { RELIABLE };
            let enough = single_language_script(script) || (words >= 3 && conf >= needed);
            enough.then_some(Language { code, confidence: conf as f32, source: LanguageSource::Detected })
        }
        (None, None) => None,
    }
}

/// Which reading aids work for articles in a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AidSupport {
    /// Extractive summaries: need sentence punctuation the splitter knows (Latin, Cyrillic and Greek scripts).
    pub summary: bool,
    /// The entity tagger: trained on English.
    pub entities: bool,
    /// The topic classifier: trained on English (source categories work in any language).
    pub topics: bool,
}

/// Languages whose sentences end in `.`, `!` or `?` and whose words are separated by spaces: Latin, Cyrillic
/// and Greek scripts.
const SUMMARY_LANGUAGES: &[&str] = &[
    "en", "es", "fr", "de", "it", "pt", "nl", "ca", "gl", "eu", "oc", "ro", "sv", "da", "nb", "nn", "no", "is", "fo",
    "fi", "et", "lv", "lt", "pl", "cs", "sk", "sl", "hr", "bs", "sr", "hu", "sq", "mt", "ga", "gd", "cy", "br", "lb",
    "fy", "af", "id", "ms", "tl", "sw", "tr", "az", "uz", "eo", "la", "ru", "uk", "be", "bg", "mk", "el",
];

/// Which aids work for a language code (any form [`detect_language`] accepts; unknown codes get none).
pub fn supports_aids(code: &str) -> AidSupport {
    let Some(code) = normalize_code(code) else { return AidSupport::default() };
    let english = code == "en";
    AidSupport { summary: SUMMARY_LANGUAGES.contains(&code), entities: english, topics: english }
}

/// The ISO 639-1 code of a language tag: "en-GB" -> "en", "pt_BR" -> "pt", "deu" -> "de", "iw" -> "he".
/// `None` for tags that name no known language ("", "x-klingon", "und").
pub fn normalize_code(tag: &str) -> Option<&'static str> {
    let primary = tag.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
    let primary = match primary.as_str() {
        // Withdrawn codes still seen in feeds.
        "iw" => "he",
        "in" => "id",
        "ji" => "yi",
        "jw" => "jv",
        other => other,
    };
    match primary.len() {
        2 => ISO_639_1.iter().copied().find(|c| *c == primary),
        3 => Lang::from_code(primary).and_then(iso639_1).or(match primary {
            "fre" => Some("fr"),
            "ger" => Some("de"),
            "dut" => Some("nl"),
            "chi" | "zho" => Some("zh"),
            "gre" => Some("el"),
            "cze" => Some("cs"),
            "rum" => Some("ro"),
            "per" | "fas" => Some("fa"),
            "nor" => Some("no"),
            _ => None,
        }),
        _ => None,
    }
}

fn single_language_script(script: whatlang::Script) -> bool {
    use whatlang::Script as S;
    matches!(
        script,
        S::Greek
            | S::Hebrew
            | S::Hangul
            | S::Hiragana
            | S::Katakana
            | S::Thai
            | S::Georgian
            | S::Armenian
            | S::Bengali
            | S::Gujarati
            | S::Gurmukhi
            | S::Kannada
            | S::Khmer
            | S::Malayalam
            | S::Myanmar
            | S::Oriya
            | S::Sinhala
            | S::Tamil
            | S::Telugu
            | S::Ethiopic
    )
}

/// Whether a declared language cannot be written in the detected script (a Latin-script declaration on Arabic
/// text): then the declaration is a site default and the text wins, however short.
fn script_differs(declared: &str, script: whatlang::Script) -> bool {
    use whatlang::Script as S;
    let latin = SUMMARY_LANGUAGES.contains(&declared) && !CYRILLIC_OR_GREEK.contains(&declared)
        || matches!(declared, "vi" | "jv" | "yo" | "ha" | "ig" | "zu" | "xh" | "sn" | "so");
    match script {
        S::Latin => !latin && !matches!(declared, "sr" | "uz" | "az" | "tk"),
        S::Cyrillic | S::Arabic | S::Devanagari | S::Mandarin => latin,
        _ => false,
    }
}

const CYRILLIC_OR_GREEK: &[&str] = &["ru", "uk", "be", "bg", "mk", "el"];

fn iso639_1(lang: Lang) -> Option<&'static str> {
    use Lang::*;
    Some(match lang {
        Epo => "eo",
        Eng => "en",
        Rus => "ru",
        Cmn => "zh",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Ben => "bn",
        Fra => "fr",
        Deu => "de",
        Ukr => "uk",
        Kat => "ka",
        Ara => "ar",
        Hin => "hi",
        Jpn => "ja",
        Heb => "he",
        Yid => "yi",
        Pol => "pl",
        Amh => "am",
        Jav => "jv",
        Kor => "ko",
        Nob => "nb",
        Dan => "da",
        Swe => "sv",
        Fin => "fi",
        Tur => "tr",
        Nld => "nl",
        Hun => "hu",
        Ces => "cs",
        Ell => "el",
        Bul => "bg",
        Bel => "be",
        Mar => "mr",
        Kan => "kn",
        Ron => "ro",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Mkd => "mk",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Tam => "ta",
        Vie => "vi",
        Urd => "ur",
        Tha => "th",
        Guj => "gu",
        Uzb => "uz",
        Pan => "pa",
        Aze => "az",
        Ind => "id",
        Tel => "te",
        Pes => "fa",
        Mal => "ml",
        Ori => "or",
        Mya => "my",
        Nep => "ne",
        Sin => "si",
        Khm => "km",
        Tuk => "tk",
        Aka => "ak",
        Zul => "zu",
        Sna => "sn",
        Afr => "af",
        Lat => "la",
        Slk => "sk",
        Cat => "ca",
        Tgl => "tl",
        Hye => "hy",
        Cym => "cy",
    })
}

/// Words, counting CJK and Thai characters (written without spaces) two to a word.
fn count_words(text: &str) -> usize {
    let mut spaced = 0;
    let mut dense = 0;
    let mut in_word = false;
    for c in text.chars() {
        if is_dense_script(c) {
            dense += 1;
            in_word = false;
        } else if c.is_alphanumeric() {
            if !in_word {
                spaced += 1;
            }
            in_word = true;
        } else {
            in_word = false;
        }
    }
    spaced + dense / 2
}

fn is_dense_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0E7F // Thai
        | 0x3040..=0x30FF // kana
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF // Han
        | 0xAC00..=0xD7AF) // Hangul syllables
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Every ISO 639-1 code.
const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh", "bi", "bm", "bn",
    "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de", "dv", "dz", "ee", "el", "en",
    "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he",
    "hi", "ho", "hr", "ht", "hu", "hy", "hz", "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv",
    "ka", "kg", "ki", "kj", "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li",
    "ln", "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb", "nd", "ne",
    "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl", "ps", "pt", "qu", "rm",
    "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st",
    "su", "sv", "sw", "ta", "te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk",
    "ur", "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ES: &str = "Las fuertes rachas de viento del temporal dejaron sin suministro eléctrico a miles de hogares \
        de la costa durante la noche del domingo. Los técnicos de la compañía trabajan desde primera hora para \
        restablecer el servicio, que según el Ayuntamiento podría tardar hasta dos días en algunos barrios.";
    const EN: &str = "Storm-force winds left thousands of homes along the coast without power on Sunday night. \
        Engineers have been working since dawn to restore supply, which the council said could take up to two \
        days in some neighbourhoods.";

    #[test]
    fn spanish_text_is_spanish_whatever_is_declared() {
        for declared in [None, Some("es"), Some("en"), Some("en-US")] {
            let l = detect_language("El temporal deja sin luz a miles de hogares", ES, declared).unwrap();
            assert_eq!(l.code, "es", "{declared:?}");
            assert_eq!(l.source, LanguageSource::Detected);
        }
    }

    #[test]
    fn english_text_is_english() {
        let l = detect_language("Storm leaves thousands without power", EN, Some("es-ES")).unwrap();
        assert_eq!(l.code, "en");
        assert!(l.confidence > 0.5);
        let l = detect_language("Storm leaves thousands without power", EN, None).unwrap();
        assert_eq!(l.code, "en");
    }

    #[test]
    fn demo_spanish_outlet_reads_as_spanish() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tidings/demo/el-faro/articles");
        let Ok(entries) = std::fs::read_dir(&dir) else { return };
        let mut seen = 0;
        for e in entries {
            let html = std::fs::read_to_string(e.unwrap().path()).unwrap();
            // Crude tag stripping is enough for trigram statistics.
            let mut text = String::new();
            let mut in_tag = false;
            for c in html.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => {
                        in_tag = false;
                        text.push(' ');
                    }
                    _ if !in_tag => text.push(c),
                    _ => {}
                }
            }
            let l = detect_language("", &text, Some("en")).unwrap();
            assert_eq!(l.code, "es", "{text}");
            seen += 1;
        }
        assert!(seen > 0);
    }

    #[test]
    fn short_texts_follow_the_declaration() {
        let l = detect_language("Mariners win the cup", "", Some("en-GB")).unwrap();
        assert_eq!(l.code, "en");
        // Five words of Spanish are not enough to overrule a declared Portuguese.
        let l = detect_language("Mariners conquistan la copa", "", Some("pt-BR")).unwrap();
        assert_eq!((l.code, l.source), ("pt", LanguageSource::Declared));
        // Too short to overrule the feed: a Spanish site's English-looking brand line.
        let l = detect_language("Port Alder Live", "Updates", Some("es")).unwrap();
        assert_eq!(l.code, "es");
        // Nothing declared: a plain detection still helps.
        let l = detect_language("Las lluvias dejan sin luz a miles de hogares de la costa", "", None);
        assert!(l.is_none_or(|l| l.code == "es"), "{l:?}");
        let l = detect_language("Storm leaves thousands of homes without power", "", None).unwrap();
        assert_eq!(l.code, "en");
    }

    #[test]
    fn single_script_languages_need_no_statistics() {
        let l = detect_language("Σεισμός στην Κρήτη", "", Some("en")).unwrap();
        assert_eq!(l.code, "el");
        let l = detect_language("서울 지하철 파업", "", None).unwrap();
        assert_eq!(l.code, "ko");
        let l = detect_language("Выборы в Москве прошли спокойно", "", Some("en")).unwrap();
        assert_eq!(l.code, "ru");
    }

    #[test]
    fn nothing_to_go_on_is_none() {
        assert_eq!(detect_language("", "", None), None);
        assert_eq!(detect_language("123 456", "!!!", Some("und")), None);
    }

    #[test]
    fn normalises_tags() {
        assert_eq!(normalize_code("en-GB"), Some("en"));
        assert_eq!(normalize_code("pt_BR"), Some("pt"));
        assert_eq!(normalize_code(" DE "), Some("de"));
        assert_eq!(normalize_code("deu"), Some("de"));
        assert_eq!(normalize_code("fre"), Some("fr"));
        assert_eq!(normalize_code("zh-Hant-TW"), Some("zh"));
        assert_eq!(normalize_code("iw"), Some("he"));
        assert_eq!(normalize_code("und"), None);
        assert_eq!(normalize_code(""), None);
        assert_eq!(normalize_code("xx"), None);
    }

    #[test]
    fn aids_by_language() {
        assert_eq!(supports_aids("en-US"), AidSupport { summary: true, entities: true, topics: true });
        assert_eq!(supports_aids("es"), AidSupport { summary: true, entities: false, topics: false });
        assert_eq!(supports_aids("ru"), AidSupport { summary: true, entities: false, topics: false });
        assert_eq!(supports_aids("zh"), AidSupport::default());
        assert_eq!(supports_aids("ja"), AidSupport::default());
        assert_eq!(supports_aids("nonsense"), AidSupport::default());
    }

    proptest! {
        #[test]
        fn detection_never_panics(title in "\\PC{0,40}", text in "\\PC{0,400}", declared in proptest::option::of("\\PC{0,12}")) {
            let l = detect_language(&title, &text, declared.as_deref());
            if let Some(l) = l {
                prop_assert!((0.0..=1.0).contains(&l.confidence));
                prop_assert_eq!(l.code.len(), 2);
            }
        }

        #[test]
        fn long_texts_are_cut_at_character_boundaries(text in "[aé€😀 ]{1500,2600}") {
            let _ = detect_language("", &text, Some("fr"));
        }
    }
}
