//! What HeavyDB clients expect to see where HeavyDB (through Calcite) and DataFusion
//! differ: result column names, and SQL type names in messages.
//!
//! Calcite names an unaliased select-list expression that is not a column reference
//! `EXPR$<n>`, n being its 0-based position in the select list after wildcards expand;
//! DataFusion names it by its text (`incr(t.i)`, `Int64(1)`). Subqueries and common table
//! expressions name their columns the same way, which shows through an outer `*`; their
//! unnamed items are aliased `EXPR$<n>` outright (counted from their select list, so an
//! item after a wildcard keeps DataFusion's name). To find those positions
//! without re-implementing wildcard expansion, such items are aliased with a marker before
//! planning (which also lets `SELECT 1, 1` through DataFusion's unique-name check) and the
//! marked output columns are renamed afterwards. Should the aliases ever stop a statement
//! from planning (and for `VALUES`, which has nothing to alias), it is planned as written
//! and positions are counted from the select list, which is exact unless several wildcards
//! share it.

use std::ops::ControlFlow;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{
    Expr, Ident, Query, SelectItem, SetExpr, Statement, VisitMut, VisitorMut,
};

/// Prefix of the aliases given to unnamed items; lowercase, so identifier normalisation
/// leaves it alone.
const MARKER: &str = "__udf_server_expr$";

/// Which output columns get `EXPR$<position>` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Renaming {
    /// Those with a marker name.
    Marked,
    /// Those at these positions.
    Positions(Vec<usize>),
}

/// One select-list item, as naming goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    /// A column reference or an aliased expression: keeps its name.
    Named,
    Unnamed,
    /// Expands to any number of named columns.
    Wildcard,
}

/// The select list whose names a query's result takes: the leftmost `SELECT` of set
/// operations. `None` for statements that are not queries, and for `VALUES`, whose
/// columns are all unnamed.
enum Body<'a> {
    Select(&'a mut Vec<SelectItem>),
    Values,
}

fn leftmost_body(statement: &mut DfStatement) -> Option<Body<'_>> {
    let DfStatement::Statement(statement) = statement else {
        return None;
    };
    let Statement::Query(query) = statement.as_mut() else {
        return None;
    };
    query_body(query)
}

fn query_body(query: &mut Query) -> Option<Body<'_>> {
    let mut body = query.body.as_mut();
    loop {
        body = match body {
            SetExpr::SetOperation { left, .. } => left.as_mut(),
            SetExpr::Query(inner) => inner.body.as_mut(),
            SetExpr::Values(_) => return Some(Body::Values),
            SetExpr::Select(select) => return Some(Body::Select(&mut select.projection)),
            _ => return None,
        };
    }
}

/// Whether `statement` is a query, whose result columns Calcite names.
pub(crate) fn is_query(statement: &DfStatement) -> bool {
    matches!(statement, DfStatement::Statement(s) if matches!(s.as_ref(), Statement::Query(_)))
}

/// Aliases the unnamed items of a query's select list with markers; what to rename after
/// planning. `None` when the statement is not a query or has nothing to mark (`VALUES`).
pub(crate) fn mark_unnamed(statement: &mut DfStatement) -> Option<Renaming> {
    let Body::Select(projection) = leftmost_body(statement)? else {
        return None;
    };
    for (i, item) in projection.iter_mut().enumerate() {
        alias_unnamed(item, || format!("{MARKER}{i}"));
    }
    if let DfStatement::Statement(statement) = statement {
        let _ = statement.visit(&mut NameSubqueries);
    }
    Some(Renaming::Marked)
}

/// Aliases `item` with `alias()` when it is an unnamed expression.
fn alias_unnamed(item: &mut SelectItem, alias: impl FnOnce() -> String) {
    if let SelectItem::UnnamedExpr(expr) = item
        && !is_column(expr)
    {
        let expr = std::mem::replace(expr, Expr::Identifier(Ident::new("")));
        *item = SelectItem::ExprWithAlias {
            expr,
            alias: Ident::with_quote('"', alias()),
        };
    }
}

/// Names the unnamed items of every query in a statement `EXPR$<n>`, n counted from its
/// select list up to the first wildcard. Runs after the top-level select list is marked,
/// whose items it then finds all named.
struct NameSubqueries;

impl VisitorMut for NameSubqueries {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let Some(Body::Select(projection)) = query_body(query) {
            for (i, item) in projection.iter_mut().enumerate() {
                if matches!(
                    item,
                    SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
                ) {
                    break;
                }
                alias_unnamed(item, || format!("EXPR${i}"));
            }
        }
        ControlFlow::Continue(())
    }
}

/// The output positions of a query's unnamed items, counted from its select list for a
/// result of `fields` columns. `None` when they cannot be known: two or more wildcards,
/// or a count that does not add up.
pub(crate) fn unnamed_positions(statement: &DfStatement, fields: usize) -> Option<Renaming> {
    let mut statement = statement.clone();
    let items: Vec<Item> = match leftmost_body(&mut statement)? {
        Body::Values => return Some(Renaming::Positions((0..fields).collect())),
        Body::Select(projection) => projection.iter().map(item).collect(),
    };
    let wildcards = items.iter().filter(|i| **i == Item::Wildcard).count();
    let expanded = match wildcards {
        0 if items.len() == fields => 0,
        1 => (fields + 1).checked_sub(items.len())?,
        _ => return None,
    };
    let mut positions = Vec::new();
    let mut position = 0;
    for item in items {
        match item {
            Item::Named => position += 1,
            Item::Unnamed => {
                positions.push(position);
                position += 1;
            }
            Item::Wildcard => position += expanded,
        }
    }
    Some(Renaming::Positions(positions))
}

fn item(item: &SelectItem) -> Item {
    match item {
        SelectItem::UnnamedExpr(expr) if is_column(expr) => Item::Named,
        SelectItem::UnnamedExpr(_) => Item::Unnamed,
        SelectItem::ExprWithAlias { .. } | SelectItem::ExprWithAliases { .. } => Item::Named,
        SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => Item::Wildcard,
    }
}

/// A column reference, which keeps its name: `a`, `t.a`, `(a)`.
fn is_column(expr: &Expr) -> bool {
    match expr {
        Expr::Identifier(_) | Expr::CompoundIdentifier(_) => true,
        Expr::Nested(inner) => is_column(inner),
        _ => false,
    }
}

/// `schema` with Calcite's names; `None` when nothing changes.
pub(crate) fn rename(schema: &SchemaRef, renaming: &Renaming) -> Option<SchemaRef> {
    let renamed = |i: usize, field: &Field| match renaming {
        Renaming::Marked => field.name().starts_with(MARKER),
        Renaming::Positions(positions) => positions.contains(&i),
    };
    if !schema
        .fields()
        .iter()
        .enumerate()
        .any(|(i, f)| renamed(i, f))
    {
        return None;
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let field = f.as_ref().clone();
            if renamed(i, f) {
                field.with_name(format!("EXPR${i}"))
            } else {
                field
            }
        })
        .collect();
    Some(Arc::new(Schema::new_with_metadata(
        fields,
        schema.metadata().clone(),
    )))
}

/// A type as HeavyDB prints it in messages (`BIGINT`, `INTEGER`, `DOUBLE`, `TEXT`, …);
/// `<ANY>` for types HeavyDB has no name for.
pub fn type_name(ty: &DataType) -> String {
    let name = match ty {
        DataType::Null => "NULL",
        DataType::Boolean => "BOOLEAN",
        DataType::Int8 => "TINYINT",
        DataType::Int16 => "SMALLINT",
        DataType::Int32 => "INTEGER",
        DataType::Int64 => "BIGINT",
        DataType::Float32 => "FLOAT",
        DataType::Float64 => "DOUBLE",
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "TEXT",
        DataType::Date32 | DataType::Date64 => "DATE",
        DataType::Time32(_) | DataType::Time64(_) => "TIME",
        DataType::Timestamp(unit, _) => {
            return match unit {
                TimeUnit::Second => "TIMESTAMP(0)",
                TimeUnit::Millisecond => "TIMESTAMP(3)",
                TimeUnit::Microsecond => "TIMESTAMP(6)",
                TimeUnit::Nanosecond => "TIMESTAMP(9)",
            }
            .to_string();
        }
        DataType::Decimal32(p, s)
        | DataType::Decimal64(p, s)
        | DataType::Decimal128(p, s)
        | DataType::Decimal256(p, s) => return format!("DECIMAL({p}, {s})"),
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            return format!("{}[]", type_name(f.data_type()));
        }
        DataType::Dictionary(_, values) => return type_name(values),
        _ => "<ANY>",
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use datafusion::sql::parser::DFParser;
    use datafusion::sql::sqlparser::dialect::GenericDialect;

    use super::*;

    fn marked(sql: &str) -> (String, Option<Renaming>) {
        let mut statement = DFParser::parse_sql_with_dialect(sql, &GenericDialect {})
            .unwrap()
            .pop_front()
            .unwrap();
        let renaming = mark_unnamed(&mut statement);
        (statement.to_string(), renaming)
    }

    #[test]
    fn marks_unnamed_expressions_of_the_leftmost_select() {
        let (sql, renaming) =
            marked("SELECT a, t.b, (c), a + 1, f(a) AS g, *, 2 FROM t UNION SELECT 1, 2, 3");
        assert_eq!(renaming, Some(Renaming::Marked));
        assert_eq!(
            sql,
            "SELECT a, t.b, (c), a + 1 AS \"__udf_server_expr$3\", f(a) AS g, *, \
             2 AS \"__udf_server_expr$6\" FROM t UNION SELECT 1, 2, 3"
        );
        let (sql, _) = marked(
            "WITH c AS (SELECT 1, x + 1, *, f(x) FROM t) \
             SELECT * FROM c WHERE x IN (SELECT g(y) FROM u)",
        );
        assert_eq!(
            sql,
            "WITH c AS (SELECT 1 AS \"EXPR$0\", x + 1 AS \"EXPR$1\", *, f(x) FROM t) \
             SELECT * FROM c WHERE x IN (SELECT g(y) AS \"EXPR$0\" FROM u)"
        );
        assert_eq!(marked("VALUES (1, 2)").1, None);
        assert_eq!(marked("CREATE TABLE t (a INT)").1, None);
        assert_eq!(marked("INSERT INTO t SELECT 1").1, None);
    }

    fn positions(sql: &str, fields: usize) -> Option<Vec<usize>> {
        let statement = DFParser::parse_sql_with_dialect(sql, &GenericDialect {})
            .unwrap()
            .pop_front()
            .unwrap();
        match unnamed_positions(&statement, fields)? {
            Renaming::Positions(p) => Some(p),
            Renaming::Marked => None,
        }
    }

    #[test]
    fn counts_positions_across_one_wildcard() {
        assert_eq!(positions("SELECT 1, a, f(a) FROM t", 3), Some(vec![0, 2]));
        assert_eq!(positions("SELECT 1, *, f(a) FROM t", 5), Some(vec![0, 4]));
        assert_eq!(positions("SELECT 1, t.*, f(a) FROM t", 2), Some(vec![0, 1]));
        assert_eq!(positions("VALUES (1, 2)", 2), Some(vec![0, 1]));
        assert_eq!(positions("SELECT t.*, 1, u.* FROM t, u", 5), None);
        assert_eq!(positions("SELECT 1, a FROM t", 3), None);
        assert_eq!(positions("DROP TABLE t", 0), None);
    }

    #[test]
    fn renames() {
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int32, true),
            Field::new("b", DataType::Int32, true),
            Field::new("__udf_server_expr$1", DataType::Int64, false),
        ]));
        let renamed = rename(&schema, &Renaming::Marked).unwrap();
        let names: Vec<&String> = renamed.fields().iter().map(|f| f.name()).collect();
        assert_eq!(names, ["a", "b", "EXPR$2"]);
        assert!(!renamed.field(2).is_nullable());
        let by_position = rename(&schema, &Renaming::Positions(vec![0])).unwrap();
        assert_eq!(by_position.field(0).name(), "EXPR$0");
        assert_eq!(by_position.field(2).name(), "__udf_server_expr$1");
        let plain: SchemaRef = Arc::new(Schema::new(vec![Field::new("a", DataType::Int32, true)]));
        assert!(rename(&plain, &Renaming::Marked).is_none());
    }

    #[test]
    fn names_types_as_heavydb() {
        assert_eq!(type_name(&DataType::Int32), "INTEGER");
        assert_eq!(type_name(&DataType::Utf8View), "TEXT");
        assert_eq!(type_name(&DataType::Decimal128(10, 2)), "DECIMAL(10, 2)");
        assert_eq!(
            type_name(&DataType::Timestamp(TimeUnit::Nanosecond, None)),
            "TIMESTAMP(9)"
        );
        assert_eq!(
            type_name(&DataType::new_list(DataType::Float64, true)),
            "DOUBLE[]"
        );
        assert_eq!(type_name(&DataType::UInt8), "<ANY>");
    }
}
