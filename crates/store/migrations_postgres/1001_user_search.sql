-- R11: substring search over users' email and name from indexes, not a scan. pg_trgm (a contrib
-- extension that ships with PostgreSQL) serves `LIKE '%…%'` for three characters and more; for
-- one or two characters, a GIN index over the text's distinct one- and two-character pieces.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_search_trgm ON users USING gin (search gin_trgm_ops);

CREATE FUNCTION sb_short_grams(t TEXT) RETURNS TEXT[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT g), '{}')
    FROM (
        SELECT substr(t, i, 1) AS g FROM generate_series(1, length(t)) AS i
        UNION ALL
        SELECT substr(t, i, 2) FROM generate_series(1, length(t) - 1) AS i
    ) pieces
$$;
CREATE INDEX users_search_short ON users USING gin (sb_short_grams(search));
