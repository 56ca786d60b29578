-- R11: users.search with a separator (U+001F) around every character, so that any substring
-- of one or two characters is a trigram of it. SQLite indexes it with FTS5's trigram tokenizer,
-- which then serves searches of every length (see migrations_sqlite). Written by the store's
-- Rust code with `search` (store::people::search_spread); filled for existing users at start-up.
ALTER TABLE users ADD COLUMN search_spread TEXT NOT NULL DEFAULT '';
