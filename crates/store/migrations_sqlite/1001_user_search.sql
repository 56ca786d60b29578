-- R11: substring search over users' email and name from an index, not a scan: an FTS5 table with
-- the trigram tokenizer (kept in step with users by triggers). A phrase query on `search` finds
-- every user whose text holds a needle of three characters or more; one or two characters are a
-- single trigram of `search_spread` (the text with U+001F around every character).
CREATE VIRTUAL TABLE users_search USING fts5(
    search,
    search_spread,
    content = 'users',
    content_rowid = 'rowid',
    tokenize = 'trigram'
);
INSERT INTO users_search (users_search) VALUES ('rebuild');

CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO users_search (rowid, search, search_spread)
    VALUES (new.rowid, new.search, new.search_spread);
END;
CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN
    INSERT INTO users_search (users_search, rowid, search, search_spread)
    VALUES ('delete', old.rowid, old.search, old.search_spread);
END;
CREATE TRIGGER users_search_update AFTER UPDATE OF search, search_spread ON users BEGIN
    INSERT INTO users_search (users_search, rowid, search, search_spread)
    VALUES ('delete', old.rowid, old.search, old.search_spread);
    INSERT INTO users_search (rowid, search, search_spread)
    VALUES (new.rowid, new.search, new.search_spread);
END;
