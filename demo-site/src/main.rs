//! `vitrine-demo`: runs the demo store and collector. See `--help` for the flags.

use vitrine_demo::{Config, Server};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Some(config) = Config::from_args(std::env::args().skip(1))? else {
        return Ok(());
    };
    let server = Server::bind(&config).await?;
    // Tests (and scripts started with --addr 127.0.0.1:0) read the real port from this line.
    println!("vitrine-demo listening on http://{}", server.local_addr()?);
    server
        .run(async {
            // If the signal cannot be awaited, we keep serving until killed.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
}
