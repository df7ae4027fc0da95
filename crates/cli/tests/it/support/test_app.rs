//! The real application, built by the same code as `start`, on port 0 with a fresh database.

use std::net::SocketAddr;

use cli::app::App;
use cli::config::{Config, Environment};
use storage::test_support::TestDatabase;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use web::AppState;
use web::server::Drained;

pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    database: TestDatabase,
    stop: oneshot::Sender<()>,
    server: JoinHandle<Drained>,
}

impl TestApp {
    /// Builds and starts the application in dev mode (migrations applied at start).
    pub async fn spawn() -> TestApp {
        let database = TestDatabase::create().await;
        let data_dir = database.dir().join("data");
        let data_dir = data_dir.to_str().unwrap();
        let env = Environment::from_pairs([
            ("DATABASE_URL", database.url.as_str()),
            ("DATA_DIR", data_dir),
            ("PORT", "0"),
            ("POOL_SIZE", "5"),
        ]);
        let config = Config::load(&env, None).expect("the test configuration is valid");
        let app = App::build(&config).await.expect("the application builds");
        let address = app.local_addr().unwrap();
        let state = app.state().clone();
        let (stop, stopped) = oneshot::channel();
        let server = tokio::spawn(app.run_until(async move {
            stopped.await.ok();
        }));
        TestApp {
            address,
            client: reqwest::Client::new(),
            state,
            database,
            stop,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the server answers")
    }

    /// Stops the server (asserting it drained) and drops the database.
    pub async fn teardown(self) {
        self.stop.send(()).ok();
        assert_eq!(self.server.await.unwrap(), Drained::Completely);
        self.database.drop_database().await;
    }
}
