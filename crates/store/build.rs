//! Rebuilds the store when a migration is added or changed: `sqlx::migrate!` embeds the
//! migration folders at compile time, and cargo otherwise only watches the Rust sources.

fn main() {
    for dir in ["migrations", "migrations_sqlite", "migrations_postgres"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
