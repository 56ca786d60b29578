//! Tests of [`super`] (user_list.rs), kept apart so the rules read without them.

use super::*;

#[test]
fn spread_text_holds_every_short_substring_as_a_trigram_run() {
    let s = spread("ana");
    assert_eq!(s.chars().count(), 7);
    for needle in ["a", "n", "an", "na", "ana"] {
        assert!(s.contains(&spread(needle)), "{needle}");
    }
    assert!(!s.contains(&spread("aa")));
}

#[test]
fn fts_queries_pick_the_column_by_length_and_quote_the_needle() {
    assert_eq!(fts_query("a"), "{search_spread}: \"\u{1f}a\u{1f}\"");
    assert_eq!(fts_query("ab"), "{search_spread}: \"a\u{1f}b\"");
    assert_eq!(fts_query("a\"b"), "{search}: \"a\"\"b\"");
    assert_eq!(fts_query("ana"), "{search}: \"ana\"");
    assert_eq!(fts_query("nora"), "{search}: \"nor\" AND {search}: \"ora\"");
    assert_eq!(
        fts_query("nora.okafor"),
        "{search}: \"nor\" AND {search}: \"for\" AND {search}: \".ok\""
    );
}

#[test]
fn like_pattern_escapes_wildcards() {
    assert_eq!(like_pattern("a_b%c\\"), "%a\\_b\\%c\\\\%");
}
