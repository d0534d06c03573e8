//! The image proxy's source: the guarded fetcher the feeds use, and the installation's signing key.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use tidings_core::config::Config;
use tidings_fetch::{FetchResponse, Fetcher, Validators};
use tidings_web::images::{FetchedImage, ImageProxy, ImageSource};

struct FetcherImages(Fetcher);

#[async_trait]
impl ImageSource for FetcherImages {
    async fn fetch_image(&self, url: &str) -> Result<FetchedImage, String> {
        match self.0.fetch(url, &Validators::default()).await {
            Ok(FetchResponse::Ok(body)) => {
                Ok(FetchedImage { bytes: body.body.to_vec(), content_type: body.content_type })
            }
            Ok(FetchResponse::NotModified { .. }) => Err(format!("{url}: 304 to an unconditional request")),
            Err(error) => Err(error.to_string()),
        }
    }
}

/// The proxy for `serve`, or `None` when `[web] image_proxy` is off.
pub(crate) fn proxy(config: &Config) -> anyhow::Result<Option<Arc<ImageProxy>>> {
    if !config.web.image_proxy {
        return Ok(None);
    }
    let fetcher = Fetcher::new(&config.fetch).context("building the HTTP client for the image proxy")?;
    let key = signing_key(&config.data_dir.join("image-proxy.key"))?;
    let cache = config.data_dir.join("images");
    Ok(Some(Arc::new(ImageProxy::new(&key, cache, Arc::new(FetcherImages(fetcher))))))
}

/// The key in `path`, made (random, 32 bytes) on first use. It must outlive restarts: pages a reader saved for
/// offline reading name images by their signed links.
fn signing_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let key = hex::decode(text.trim())
            .with_context(|| format!("{}: not a hex key (delete it to make a new one)", path.display()))?;
        if key.len() >= 16 {
            return Ok(key);
        }
        anyhow::bail!("{}: the key is too short (delete it to make a new one)", path.display());
    }
    let mut key = vec![0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut key)
        .map_err(|_| anyhow::anyhow!("the system gave no random numbers for the image proxy's key"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    write_private(path, &hex::encode(&key)).with_context(|| format!("writing {}", path.display()))?;
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}
