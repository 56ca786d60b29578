//! A tiny builder for the few queries whose shape depends on the request (filters, cursors). It
//! numbers placeholders `$1, $2, …`, the form both engines accept through `Any`.

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments};

#[derive(Default)]
pub struct Sql {
    text: String,
    args: AnyArguments<'static>,
    n: usize,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            ..Default::default()
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind<T>(&mut self, value: T) -> &mut Self
    where
        T: 'static + Send + sqlx::Encode<'static, Any> + sqlx::Type<Any>,
    {
        self.n += 1;
        self.text.push('$');
        self.text.push_str(&self.n.to_string());
        self.args
            .add(value)
            .expect("binding a plain value cannot fail");
        self
    }

    /// The number the next placeholder will get, for SQL text written elsewhere with `$1`.
    pub fn next_placeholder(&self) -> usize {
        self.n + 1
    }

    /// Adds an argument for a placeholder written into the text by hand ([`Sql::next_placeholder`]).
    pub fn add_arg<T>(&mut self, value: T) -> &mut Self
    where
        T: 'static + Send + sqlx::Encode<'static, Any> + sqlx::Type<Any>,
    {
        self.n += 1;
        self.args
            .add(value)
            .expect("binding a plain value cannot fail");
        self
    }

    /// Appends `($1, $2, …)` with one placeholder per value; `(NULL)` for none, which matches
    /// nothing.
    pub fn bind_list<T>(&mut self, values: &[T]) -> &mut Self
    where
        T: Clone + 'static + Send + sqlx::Encode<'static, Any> + sqlx::Type<Any>,
    {
        self.text.push('(');
        if values.is_empty() {
            self.text.push_str("NULL");
        }
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v.clone());
        }
        self.text.push(')');
        self
    }

    pub fn build(self) -> (String, AnyArguments<'static>) {
        (self.text, self.args)
    }
}
