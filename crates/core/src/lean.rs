//! Where an outlet leans politically, as the operator rates it, and what that says of a story's coverage: how
//! many of its outlets lean each way, and whether one side is all but missing from it (a "blindspot", as
//! Ground News calls a story one side of the press hardly reports).
//!
//! Tidings rates nothing itself: an outlet has a lean only when the operator gives it one (`tidings sources
//! lean`, or a `lean` attribute in an imported OPML file), from whatever rating they trust.

use serde::{Deserialize, Serialize};

/// An outlet's political lean, on the five-point scale that media-bias raters use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lean {
    /// Left.
    Left,
    /// Leaning left.
    LeanLeft,
    /// Centre.
    Center,
    /// Leaning right.
    LeanRight,
    /// Right.
    Right,
}

impl Lean {
    /// Every lean, from left to right.
    pub const ALL: [Lean; 5] = [Lean::Left, Lean::LeanLeft, Lean::Center, Lean::LeanRight, Lean::Right];

    /// The name stored in the database, used on the command line and in OPML and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Lean::Left => "left",
            Lean::LeanLeft => "lean-left",
            Lean::Center => "center",
            Lean::LeanRight => "lean-right",
            Lean::Right => "right",
        }
    }

    /// Parses a name, ignoring case, with `centre` and `_` for `-` accepted; `None` for anything else.
    pub fn parse(name: &str) -> Option<Lean> {
        let name = name.trim().to_ascii_lowercase().replace('_', "-");
        match name.as_str() {
            "left" => Some(Lean::Left),
            "lean-left" => Some(Lean::LeanLeft),
            "center" | "centre" => Some(Lean::Center),
            "lean-right" => Some(Lean::LeanRight),
            "right" => Some(Lean::Right),
            _ => None,
        }
    }

    /// The side of the press it is on.
    pub fn side(self) -> Side {
        match self {
            Lean::Left | Lean::LeanLeft => Side::Left,
            Lean::Center => Side::Center,
            Lean::LeanRight | Lean::Right => Side::Right,
        }
    }
}

impl std::fmt::Display for Lean {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A side of the press: the leans joined into three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Left and leaning left.
    Left,
    /// Centre.
    Center,
    /// Leaning right and right.
    Right,
}

impl Side {
    /// The name used in the API and in addresses (`/blindspots?missing=right`).
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Center => "center",
            Side::Right => "right",
        }
    }
}

/// How many distinct outlets of each lean cover a story.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeanCoverage {
    /// Outlets rated left.
    pub left: i64,
    /// Outlets rated leaning left.
    pub lean_left: i64,
    /// Outlets rated centre.
    pub center: i64,
    /// Outlets rated leaning right.
    pub lean_right: i64,
    /// Outlets rated right.
    pub right: i64,
    /// Outlets with no rating.
    pub unrated: i64,
}

impl LeanCoverage {
    /// A blindspot needs at least this many rated outlets on the side that covers the story: two outlets of
    /// one side and none of the other is too little to call.
    pub const BLINDSPOT_MIN_OUTLETS: i64 = 3;
    /// ... and that side must hold at least this share of the outlets rated left or right.
    pub const BLINDSPOT_SHARE: f64 = 0.8;

    /// Adds `outlets` outlets of `lean` (`None`: unrated).
    pub fn add(&mut self, lean: Option<Lean>, outlets: i64) {
        let slot = match lean {
            Some(Lean::Left) => &mut self.left,
            Some(Lean::LeanLeft) => &mut self.lean_left,
            Some(Lean::Center) => &mut self.center,
            Some(Lean::LeanRight) => &mut self.lean_right,
            Some(Lean::Right) => &mut self.right,
            None => &mut self.unrated,
        };
        *slot += outlets;
    }

    /// Outlets of `lean`.
    pub fn of(&self, lean: Lean) -> i64 {
        match lean {
            Lean::Left => self.left,
            Lean::LeanLeft => self.lean_left,
            Lean::Center => self.center,
            Lean::LeanRight => self.lean_right,
            Lean::Right => self.right,
        }
    }

    /// Outlets on `side`.
    pub fn side(&self, side: Side) -> i64 {
        match side {
            Side::Left => self.left + self.lean_left,
            Side::Center => self.center,
            Side::Right => self.lean_right + self.right,
        }
    }

    /// Outlets with a rating.
    pub fn rated(&self) -> i64 {
        Lean::ALL.iter().map(|&l| self.of(l)).sum()
    }

    /// The side that all but ignores the story, when the other covers it: at least
    /// [`Self::BLINDSPOT_MIN_OUTLETS`] rated outlets on one side and at least [`Self::BLINDSPOT_SHARE`] of
    /// the outlets rated left or right. The centre counts for neither: a story the left and the centre cover
    /// and the right does not is still the right's blindspot.
    pub fn blindspot(&self) -> Option<Side> {
        let (left, right) = (self.side(Side::Left), self.side(Side::Right));
        let sided = (left + right) as f64;
        if left >= Self::BLINDSPOT_MIN_OUTLETS && left as f64 >= Self::BLINDSPOT_SHARE * sided {
            Some(Side::Right)
        } else if right >= Self::BLINDSPOT_MIN_OUTLETS && right as f64 >= Self::BLINDSPOT_SHARE * sided {
            Some(Side::Left)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_variants_parse() {
        for lean in Lean::ALL {
            assert_eq!(Lean::parse(lean.as_str()), Some(lean));
        }
        assert_eq!(Lean::parse(" Centre "), Some(Lean::Center));
        assert_eq!(Lean::parse("LEAN_RIGHT"), Some(Lean::LeanRight));
        assert_eq!(Lean::parse("far-left"), None);
        assert_eq!(Lean::parse(""), None);
    }

    fn coverage(pairs: &[(Option<Lean>, i64)]) -> LeanCoverage {
        let mut c = LeanCoverage::default();
        for &(lean, n) in pairs {
            c.add(lean, n);
        }
        c
    }

    #[test]
    fn a_story_one_side_covers_is_the_other_sides_blindspot() {
        let c = coverage(&[(Some(Lean::Left), 2), (Some(Lean::LeanLeft), 1), (Some(Lean::Center), 4), (None, 6)]);
        assert_eq!((c.side(Side::Left), c.rated(), c.unrated), (3, 7, 6));
        assert_eq!(c.blindspot(), Some(Side::Right), "the centre counts for neither side");
        let c = coverage(&[(Some(Lean::Right), 4), (Some(Lean::LeanLeft), 1)]);
        assert_eq!(c.blindspot(), Some(Side::Left), "4 of 5 is the share");
    }

    #[test]
    fn balanced_or_thin_coverage_is_no_blindspot() {
        assert_eq!(coverage(&[(Some(Lean::Left), 2)]).blindspot(), None, "too few outlets to call");
        assert_eq!(coverage(&[(Some(Lean::Left), 3), (Some(Lean::Right), 1)]).blindspot(), None, "3 of 4");
        assert_eq!(coverage(&[(Some(Lean::Center), 9), (None, 9)]).blindspot(), None);
        assert_eq!(LeanCoverage::default().blindspot(), None);
    }
}
