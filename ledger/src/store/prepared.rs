//! Statements with fixed text and typed parameters that diesel keeps prepared on the
//! connection. `diesel::sql_query` never is: every execution parses and plans its text
//! again, which for a batch's `unnest` writes costs more than the write itself.

use std::marker::PhantomData;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::{QueryResult, RunQueryDsl};

trait Param: Send {
    fn push<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()>;
}

struct Typed<ST, T> {
    value: T,
    sql_type: PhantomData<fn() -> ST>,
}

impl<ST, T> Param for Typed<ST, T>
where
    T: ToSql<ST, Pg> + Send,
    Pg: HasSqlType<ST>,
{
    fn push<'b>(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_bind_param::<ST, T>(&self.value)
    }
}

/// A statement whose `$1`, `$2`, ... are bound in order, each exactly once.
pub struct Prepared {
    sql: &'static str,
    params: Vec<Box<dyn Param>>,
}

impl Prepared {
    pub fn new(sql: &'static str) -> Self {
        Self {
            sql,
            params: Vec::new(),
        }
    }

    /// Binds the next parameter.
    pub fn bind<ST, T>(mut self, value: T) -> Self
    where
        ST: 'static,
        T: ToSql<ST, Pg> + Send + 'static,
        Pg: HasSqlType<ST>,
    {
        self.params.push(Box::new(Typed {
            value,
            sql_type: PhantomData,
        }));
        self
    }
}

impl QueryFragment<Pg> for Prepared {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        // The backend writes each parameter's `$n` itself: push the text between them.
        let mut rest = self.sql;
        let mut params = self.params.iter();
        let mut expected = 1usize;
        while let Some(at) = rest.find('$') {
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(rest.len(), |n| at + 1 + n);
            // The backend numbers parameters in the order they are pushed, so text
            // naming `$3` before `$1` would silently bind the wrong values.
            if rest[at + 1..digits].parse::<usize>().ok() != Some(expected) {
                return Err(diesel::result::Error::QueryBuilderError(
                    format!("a prepared statement must name ${expected} next").into(),
                ));
            }
            expected += 1;
            out.push_sql(&rest[..at]);
            match params.next() {
                Some(param) => param.push(&mut out)?,
                None => {
                    return Err(diesel::result::Error::QueryBuilderError(
                        "a prepared statement names more parameters than were bound".into(),
                    ))
                }
            }
            rest = &rest[digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl QueryId for Prepared {
    type QueryId = ();
    // Cached by its text and parameter types instead.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared {
    type SqlType = Untyped;
}

impl RunQueryDsl<diesel::pg::PgConnection> for Prepared {}

#[cfg(test)]
mod tests {
    use std::fmt::Write;

    use super::Prepared;
    use diesel::debug_query;
    use diesel::pg::Pg;
    use diesel::sql_types::{BigInt, Text};

    #[test]
    fn parameters_bind_in_the_order_they_are_named() {
        let ok = Prepared::new("SELECT $1::text, $2::bigint")
            .bind::<Text, _>("a".to_string())
            .bind::<BigInt, _>(2i64);
        assert!(debug_query::<Pg, _>(&ok).to_string().contains("$2"));
        let swapped = Prepared::new("SELECT $2::bigint, $1::text")
            .bind::<Text, _>("a".to_string())
            .bind::<BigInt, _>(2i64);
        let mut text = String::new();
        let rendered = write!(text, "{}", debug_query::<Pg, _>(&swapped));
        assert!(
            rendered.is_err(),
            "out-of-order placeholders must not render"
        );
    }
}
