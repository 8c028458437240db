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
        while let Some(at) = rest.find('$') {
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(rest.len(), |n| at + 1 + n);
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
