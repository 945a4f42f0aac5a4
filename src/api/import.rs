//! `POST /api/v1/import/parse` (owner only): the web UI's way to read an
//! export file. Stateless: the body is parsed in memory and answered as
//! normalized items; nothing is stored, audited or logged (the file and
//! the answer are full of plaintext secrets, which is why only the owner
//! may call it and the answer carries `Cache-Control: no-store` like every
//! other). The client seals L2/L3 values and uploads through
//! `/entries/batch` exactly as `clavitor import` does.

use serde_json::json;

use super::auth::Owner;
use super::error::Code;
use super::{ApiError, Ctx, Result};
use crate::http::Reply;
use crate::import::pipeline::{self, PipelineError};
use crate::import::{ImportError, Input};

/// POST /api/v1/import/parse[?format=NAME&filename=F]
pub fn parse(ctx: &mut Ctx<'_>, _owner: Owner) -> Result<Reply> {
    let req = ctx.req;
    if req.body.is_empty() {
        return Err(ApiError::new(
            Code::BodyNotJson,
            "request body is empty; expected the export file's bytes",
        ));
    }
    let name: String = req
        .query("filename")
        .map(|f| f.chars().filter(|c| !c.is_control()).take(200).collect())
        .filter(|f: &String| !f.is_empty())
        .unwrap_or_else(|| "upload".into());
    let input = Input {
        name: &name,
        bytes: &req.body,
    };
    let skip_invalid = req
        .query("skip_invalid")
        .is_some_and(|v| v == "true" || v == "1");
    let parsed =
        pipeline::parse(&input, req.query("format"), skip_invalid).map_err(|e| match e {
            PipelineError::UnknownFormat { .. } => {
                ApiError::new(Code::ImportUnknownFormat, e.to_string())
            }
            PipelineError::Import(ImportError::Unrecognised { .. }) => {
                ApiError::new(Code::ImportUnrecognised, e.to_string())
            }
            PipelineError::Import(e) => ApiError::new(Code::ImportUnparsable, e.to_string()),
        })?;
    let skipped: Vec<_> = parsed
        .skipped
        .iter()
        .map(|(record, reason)| json!({"record": record, "reason": reason}))
        .collect();
    Ok(Reply::json(
        200,
        &json!({
            "format": parsed.format,
            "items": parsed.items,
            "skipped": skipped,
            "merged": parsed.merged,
            "notes": parsed.notes,
        }),
    ))
}
