//! Reconciliation in the console: the runs, newest first, filtered by system and day;
//! a run started for a system and day, with the statement fetched from the system or
//! uploaded as a file; one run with its differences, each resolved from a form (`run`).
//! Runs go through `reconciliation::runs::run` and resolutions through the group
//! commit's `Command::Resolve`, as the JSON API's do, with the API's validation; both
//! are audited. A refusal (a system down, a file that does not parse, an action the
//! difference does not allow) is a message on the page, with the API's status.

pub mod run;

use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use adapters::statement::StatementSource;
use askama::Template;
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::audit::{self, Action};
use super::{operator, Chrome, Operator};
use crate::db;
use crate::error::ApiError;
use crate::reconciliation::runs::{self, Origin, Upload};
use crate::reconciliation::store;
use crate::reconciliation::views::RunView;
use crate::routes::reconciliation::{business_date, source, MAX_UPLOAD_BYTES};
use crate::rules::vietnam_date;
use crate::state::AppState;
use crate::web::format::{dong_en, vietnam_time};
use crate::web::multipart;
use crate::web::page::{render, see_other, Audience, PageError};

const PAGE: i64 = 25;

/// The systems, as the forms offer them.
fn sources() -> Vec<&'static str> {
    StatementSource::ALL.iter().map(|s| s.as_str()).collect()
}

/// An error as a page shows it beside the form that caused it: the message and the
/// code (an internal error's cause stays in the log), and the status to answer.
pub fn refusal(e: &ApiError) -> (StatusCode, String) {
    let (status, body) = e.to_status_and_body();
    (status, said(&body))
}

/// The message and code of an API error body.
pub fn said(body: &Value) -> String {
    let error = &body["error"];
    format!(
        "{} ({})",
        error["message"].as_str().unwrap_or("refused"),
        error["code"].as_str().unwrap_or("error")
    )
}

/// One run in the list (and on its own page).
pub struct RunLine {
    pub id: String,
    pub source: String,
    pub business_date: String,
    pub origin: String,
    pub file_name: String,
    pub file_sha256: String,
    pub lines: i32,
    pub matched: i32,
    pub discrepancies: i32,
    pub open: i64,
    pub their_total: String,
    pub our_total: String,
    pub created_at: String,
}

impl RunLine {
    pub fn of(v: &RunView) -> Self {
        Self {
            id: v.id.clone(),
            source: v.source.clone(),
            business_date: v.business_date.to_string(),
            origin: v.origin.clone(),
            file_name: v.file_name.clone().unwrap_or_default(),
            file_sha256: v.file_sha256.clone(),
            lines: v.lines,
            matched: v.matched,
            discrepancies: v.discrepancies,
            open: v.open,
            their_total: dong_en(v.their_total),
            our_total: dong_en(v.our_total),
            created_at: vietnam_time(v.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "console/reconciliation.html")]
struct RunsPage {
    chrome: Chrome,
    sources: Vec<&'static str>,
    today: String,
    /// The start and upload forms' system and day, as last chosen.
    form_source: String,
    form_day: String,
    /// Why the last run could not be made.
    run_error: Option<String>,
    filter_source: String,
    filter_day: String,
    filter_error: Option<String>,
    lines: Vec<RunLine>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    source: Option<String>,
    day: Option<String>,
    /// The last run of the previous page.
    after: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The list's filter, or why it cannot be understood.
fn filter_of(q: &ListQuery) -> Result<(Option<StatementSource>, Option<NaiveDate>), String> {
    let system = given(&q.source)
        .map(source)
        .transpose()
        .map_err(|e| e.to_string())?;
    let day = given(&q.day)
        .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d"))
        .transpose()
        .map_err(|_| "the day must be a date (YYYY-MM-DD)".to_string())?;
    Ok((system, day))
}

/// The query string of the next page, with the filter kept.
fn next_query(q: &ListQuery, after: &str) -> String {
    let mut pairs = form_urlencoded::Serializer::new(String::new());
    for (name, value) in [("source", &q.source), ("day", &q.day)] {
        if let Some(v) = given(value) {
            pairs.append_pair(name, v);
        }
    }
    pairs.append_pair("after", after);
    pairs.finish()
}

/// The list page: the runs the query asks for, and the forms as last filled.
async fn runs_page(
    state: &AppState,
    operator: &Operator,
    q: ListQuery,
    form: (String, String),
    run_error: Option<String>,
) -> Result<(StatusCode, RunsPage), ApiError> {
    let today = vietnam_date(Utc::now()).to_string();
    let mut page = RunsPage {
        chrome: operator.chrome("reconciliation"),
        sources: sources(),
        form_source: form.0,
        form_day: if form.1.is_empty() {
            today.clone()
        } else {
            form.1
        },
        today,
        run_error,
        filter_source: given(&q.source).unwrap_or_default().to_string(),
        filter_day: given(&q.day).unwrap_or_default().to_string(),
        filter_error: None,
        lines: Vec::new(),
        next: None,
    };
    let (system, day) = match filter_of(&q) {
        Ok(filter) => filter,
        Err(message) => {
            page.filter_error = Some(message);
            return Ok((StatusCode::BAD_REQUEST, page));
        }
    };
    let after = given(&q.after).map(str::to_string);
    let (runs, has_more) = db::run(state, move |conn| {
        let cursor = match after {
            Some(a) => store::find_run(conn, &a)?,
            None => None,
        };
        store::list_runs(
            conn,
            system.map(StatementSource::as_str),
            day,
            PAGE,
            cursor.as_ref(),
        )
    })
    .await?;
    page.next = runs
        .last()
        .filter(|_| has_more)
        .map(|last| format!("/console/reconciliation?{}", next_query(&q, &last.id)));
    page.lines = runs.iter().map(RunLine::of).collect();
    Ok((StatusCode::OK, page))
}

#[get("/console/reconciliation")]
pub async fn list(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    let form = (String::new(), String::new());
    let (status, page) = runs_page(&state, &operator, query.into_inner(), form, None).await?;
    Ok(render(status, Audience::Operator, &page)?)
}

/// Makes a run (the API's validation, then `runs::run`), audits it and opens it; a
/// refusal is shown above the forms, which keep what was chosen.
async fn start_run(
    state: &AppState,
    operator: &Operator,
    system: String,
    day: String,
    upload: Option<Upload>,
) -> Result<HttpResponse, PageError> {
    let origin = if upload.is_some() {
        Origin::Uploaded
    } else {
        Origin::Fetched
    };
    let made = async {
        let (s, d) = (source(system.trim())?, business_date(day.trim())?);
        runs::run(state, s, d, origin, upload)
            .await?
            .ok_or_else(|| ApiError::Internal("an operator's run was not recorded".into()))
    }
    .await;
    let run = match made {
        Ok(run) => run,
        Err(e) => {
            let (status, message) = refusal(&e);
            tracing::info!(source = %system, day = %day, %message, "console run refused");
            let (_, page) = runs_page(
                state,
                operator,
                ListQuery::default(),
                (system, day),
                Some(message),
            )
            .await?;
            return Ok(render(status, Audience::Operator, &page)?);
        }
    };
    let detail = format!(
        "{} {} {}: {} lines, {} matched, {} differences",
        run.source, run.business_date, run.origin, run.lines, run.matched, run.discrepancies
    );
    audit::record(
        state,
        Action::ReconciliationRun,
        Some(&run.id),
        Some(&detail),
        Some(&operator.session),
    )
    .await?;
    Ok(see_other(&format!(
        "/console/reconciliation/runs/{}",
        run.id
    )))
}

#[derive(Deserialize)]
pub struct StartForm {
    csrf: Option<String>,
    source: Option<String>,
    business_date: Option<String>,
}

/// A run with the statement fetched from the system.
#[post("/console/reconciliation/runs")]
pub async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<StartForm>,
) -> Result<HttpResponse, PageError> {
    let operator = operator(&req, &state).await?;
    operator.check_csrf(form.csrf.as_deref())?;
    let f = form.into_inner();
    let system = f.source.unwrap_or_default();
    let day = f.business_date.unwrap_or_default();
    start_run(&state, &operator, system, day, None).await
}

/// The upload form's fields.
struct UploadForm {
    csrf: Option<String>,
    source: String,
    business_date: String,
    file: Option<Upload>,
}

fn upload_form(content_type: &str, body: &[u8]) -> Result<UploadForm, ApiError> {
    let unreadable = |e: multipart::MultipartError| {
        ApiError::invalid(e.to_string(), serde_json::json!({ "part": "body" }))
    };
    let boundary = multipart::boundary(content_type).map_err(unreadable)?;
    let mut form = UploadForm {
        csrf: None,
        source: String::new(),
        business_date: String::new(),
        file: None,
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    for part in multipart::parts(body, &boundary).map_err(unreadable)? {
        match part.name.as_str() {
            "csrf" => form.csrf = Some(text(part.body)),
            "source" => form.source = text(part.body),
            "business_date" => form.business_date = text(part.body),
            // A file input left empty still sends its part, with no name and no bytes.
            "file" if !part.body.is_empty() => {
                form.file = Some(Upload {
                    file_name: part
                        .file_name
                        .filter(|n| !n.is_empty())
                        .map(|n| n.chars().take(255).collect()),
                    bytes: part.body.to_vec(),
                });
            }
            _ => {}
        }
    }
    Ok(form)
}

/// A run with a statement file the operator uploads (multipart/form-data).
#[post("/console/reconciliation/uploads")]
pub async fn upload_statement(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    // Before the body is read: without a session, nothing of it is.
    let operator = operator(&req, &state).await?;
    // Room for the other fields and the parts' headers beside the file.
    let limit = MAX_UPLOAD_BYTES + 64 * 1024;
    let body = match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => {
            return Err(ApiError::invalid(
                format!("the form could not be read: {e}"),
                serde_json::json!({ "part": "body" }),
            )
            .into())
        }
        Err(_) => {
            return Err(ApiError::invalid(
                format!("the file is over {MAX_UPLOAD_BYTES} bytes"),
                serde_json::json!({ "part": "body" }),
            )
            .into())
        }
    };
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let form = upload_form(content_type, &body)?;
    operator.check_csrf(form.csrf.as_deref())?;
    let Some(file) = form.file else {
        let e = ApiError::invalid(
            "choose the statement file to upload",
            serde_json::json!({ "param": "file" }),
        );
        let (status, message) = refusal(&e);
        let chosen = (form.source, form.business_date);
        let (_, page) = runs_page(
            &state,
            &operator,
            ListQuery::default(),
            chosen,
            Some(message),
        )
        .await?;
        return Ok(render(status, Audience::Operator, &page)?);
    };
    start_run(
        &state,
        &operator,
        form.source,
        form.business_date,
        Some(file),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(source: &str, day: &str) -> ListQuery {
        ListQuery {
            source: Some(source.into()),
            day: Some(day.into()),
            after: None,
        }
    }

    #[test]
    fn the_filter_is_the_apis_and_the_next_page_keeps_it() {
        let (system, day) = filter_of(&query("napas", "2026-12-08")).unwrap();
        assert_eq!(system, Some(StatementSource::Napas));
        assert_eq!(day.map(|d| d.to_string()).as_deref(), Some("2026-12-08"));
        assert_eq!(filter_of(&query("", " ")).unwrap(), (None, None));
        assert!(filter_of(&query("vietcombank", "")).is_err());
        assert!(filter_of(&query("", "08/12/2026")).is_err());
        assert_eq!(
            next_query(&query("momo", ""), "rcn_x"),
            "source=momo&after=rcn_x"
        );
    }

    #[test]
    fn an_uploaded_form_gives_its_fields_and_file() {
        let body = "--b\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nt0k\r\n\
                    --b\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nnapas\r\n\
                    --b\r\nContent-Disposition: form-data; name=\"business_date\"\r\n\r\n2026-12-08\r\n\
                    --b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"napas.txt\"\r\n\
                    Content-Type: text/plain\r\n\r\nHDR\r\nTRL\r\n--b--\r\n";
        let form = upload_form("multipart/form-data; boundary=b", body.as_bytes()).unwrap();
        assert_eq!(form.csrf.as_deref(), Some("t0k"));
        assert_eq!(
            (form.source.as_str(), form.business_date.as_str()),
            ("napas", "2026-12-08")
        );
        let file = form.file.unwrap();
        assert_eq!(file.file_name.as_deref(), Some("napas.txt"));
        assert_eq!(file.bytes, b"HDR\r\nTRL");
        // A file input left empty is no file.
        let empty = "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n\r\n--b--\r\n";
        let form = upload_form("multipart/form-data; boundary=b", empty.as_bytes()).unwrap();
        assert!(form.file.is_none());
        assert!(upload_form("application/x-www-form-urlencoded", b"a=b").is_err());
    }
}
