//! `skope token`: mint an HS256 token for `skope serve --jwt-secret`.

use crate::cli::TokenArgs;
use color_eyre::eyre::{Result, WrapErr};
use std::process::ExitCode;

pub fn run(args: &TokenArgs) -> Result<ExitCode> {
    // The same rules the server applies: refuse a token it would reject.
    skope_node::auth::access_from_scopes(&args.scopes)
        .wrap_err("these scopes would be refused by skope serve")?;
    let token = skope_node::auth::mint_hs256(args.secret.0.as_bytes(), &args.scopes, args.ttl)?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
