//! R25: every audited action of a realistic sequence is in the log, and deleting an entry in
//! the middle breaks the chain.

mod sequence;
mod tampering;
