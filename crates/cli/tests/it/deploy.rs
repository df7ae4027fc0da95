//! `deploy/kubernetes`: the kustomize base and the prod overlay render with the real kustomize
//! (`kubectl kustomize`), validate against the Kubernetes schemas (`kubernetes-validate`, strict),
//! keep the properties a rolling update without dropped requests and the security bar depend
//! on, and configure the binary so that its own `config check` accepts them.
//!
//! The tools are skipped where they are not installed, except under CI (`CI=true`), where their
//! absence fails the test: kubectl comes with the machine image, `.ci/run` installs
//! kubernetes-validate.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize as _;
use serde_json::Value;

use crate::support::BinaryCommand;
use crate::support::tools;

/// The overlays deployed, and the base they share (rendered on its own too, so that it stays
/// a complete application).
const KUSTOMIZATIONS: [&str; 2] = ["base", "overlays/prod"];

/// The oldest Kubernetes the manifests support: the `sleep` action of `preStop` (the image has
/// no shell to run `sleep`) is on by default from 1.30.
const KUBERNETES_VERSION_OLDEST: &str = "1.30.0";

/// The uid and gid of the image's user (`cargo xtask release` writes it as `65532:65532`).
const IMAGE_USER_ID: u64 = 65_532;

/// Variables the binary reads beside its registry (`cli::config::env_vars`): systemd's
/// `RuntimeDirectory=` sets this one, and the manifests set it for the same reason.
const READ_BESIDE_THE_REGISTRY: [&str; 1] = ["RUNTIME_DIRECTORY"];

const KUBECTL: &str = "kubectl";
const KUBERNETES_VALIDATE: &str = "kubernetes-validate";

fn kubernetes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/kubernetes")
}

/// Runs `command`, panicking with its output unless it succeeds; returns its stdout.
fn run(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|err| panic!("{command:?} does not run: {err}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// `kustomization` (a directory under deploy/kubernetes) rendered by kustomize, as YAML.
fn render(kustomization: &str) -> String {
    run(Command::new(KUBECTL)
        .arg("kustomize")
        .arg(kubernetes_dir().join(kustomization)))
}

/// The rendered objects of one kustomization, as JSON values.
struct Manifests {
    kustomization: &'static str,
    objects: Vec<Value>,
}

impl Manifests {
    fn render(kustomization: &'static str) -> Manifests {
        let text = render(kustomization);
        let objects = serde_norway::Deserializer::from_str(&text)
            .map(|document| Value::deserialize(document).expect("kustomize prints YAML"))
            .filter(|object| !object.is_null())
            .collect();
        Manifests {
            kustomization,
            objects,
        }
    }

    fn all(&self, kind: &str) -> Vec<&Value> {
        self.objects
            .iter()
            .filter(|object| object["kind"] == kind)
            .collect()
    }

    fn one(&self, kind: &str) -> &Value {
        let objects = self.all(kind);
        assert_eq!(objects.len(), 1, "{}: one {kind}", self.kustomization);
        objects[0]
    }

    /// The pod templates that run the image: the server's and the migration's.
    fn pod_specs(&self) -> [(&'static str, &Value); 2] {
        [
            (
                "Deployment",
                &self.one("Deployment")["spec"]["template"]["spec"],
            ),
            ("Job", &self.one("Job")["spec"]["template"]["spec"]),
        ]
    }

    /// The environment the pods get: the rendered `ConfigMap`, and the example Secret (which
    /// operators create themselves, so it is not rendered).
    fn environment(&self) -> BTreeMap<String, String> {
        let secret: Value = serde_norway::from_str(
            &std::fs::read_to_string(example_secret()).expect("the example Secret"),
        )
        .expect("the example Secret is YAML");
        let config_map = self.one("ConfigMap");
        for (_, pod) in self.pod_specs() {
            let sources = &only_container(pod)["envFrom"];
            assert_eq!(
                sources[0]["configMapRef"]["name"],
                config_map["metadata"]["name"]
            );
            assert_eq!(sources[1]["secretRef"]["name"], secret["metadata"]["name"]);
        }
        [&config_map["data"], &secret["stringData"]]
            .into_iter()
            .flat_map(|values| values.as_object().expect("string values"))
            .map(|(name, value)| {
                let value = value.as_str().expect("a string value").to_owned();
                (name.clone(), value)
            })
            .collect()
    }
}

/// The shape of the Secret the pods read, with example values.
fn example_secret() -> PathBuf {
    kubernetes_dir().join("base/secret.example.yaml")
}

fn only_container(pod_spec: &Value) -> &Value {
    let containers = pod_spec["containers"].as_array().expect("containers");
    assert_eq!(containers.len(), 1, "one container: {pod_spec}");
    &containers[0]
}

fn integer(value: &Value, what: &str) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("{what} is not an integer: {value}"))
}

#[test]
fn kustomize_renders_base_and_prod_and_kubernetes_validate_accepts_them_and_the_example_secret() {
    if !tools::available(KUBECTL, &["version", "--client"])
        || !tools::available(KUBERNETES_VALIDATE, &["--version"])
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rendered: Vec<PathBuf> = KUSTOMIZATIONS
        .iter()
        .map(|kustomization| {
            let file = dir
                .path()
                .join(format!("{}.yaml", kustomization.replace('/', "-")));
            std::fs::write(&file, render(kustomization)).unwrap();
            file
        })
        .chain([example_secret()])
        .collect();
    // The oldest supported version and the newest the tool knows (its default).
    for versions in [&["-k", KUBERNETES_VERSION_OLDEST][..], &[]] {
        run(Command::new(KUBERNETES_VALIDATE)
            .args(["--strict", "--quiet"])
            .args(versions)
            .args(&rendered));
    }
}

#[test]
fn the_deployment_rolls_one_pod_at_a_time_and_never_cuts_a_drain_short() {
    if !tools::available(KUBECTL, &["version", "--client"]) {
        return;
    }
    for kustomization in KUSTOMIZATIONS {
        let manifests = Manifests::render(kustomization);
        let deployment = manifests.one("Deployment");
        let spec = &deployment["spec"];
        assert_eq!(spec["replicas"], 3, "{kustomization}");
        assert_eq!(spec["strategy"]["type"], "RollingUpdate", "{kustomization}");
        let rolling = &spec["strategy"]["rollingUpdate"];
        assert_eq!(rolling["maxUnavailable"], 0, "{kustomization}");
        assert_eq!(rolling["maxSurge"], 1, "{kustomization}");

        let pod = &spec["template"]["spec"];
        let server = only_container(pod);
        assert_eq!(
            server["args"],
            serde_json::json!(["start"]),
            "{kustomization}"
        );
        assert_eq!(server["readinessProbe"]["httpGet"]["path"], "/readyz");
        assert_eq!(server["livenessProbe"]["httpGet"]["path"], "/healthz");

        // The pod leaves the endpoints, keeps serving through preStop, then drains on SIGTERM
        // for at most SHUTDOWN_DRAIN_TIMEOUT; the kubelet's SIGKILL must come after both.
        let pre_stop = integer(
            &server["lifecycle"]["preStop"]["sleep"]["seconds"],
            "preStop.sleep.seconds",
        );
        assert!(pre_stop > 0, "{kustomization}: a preStop delay");
        let grace = integer(
            &pod["terminationGracePeriodSeconds"],
            "terminationGracePeriodSeconds",
        );
        let drain = cli::app::SHUTDOWN_DRAIN_TIMEOUT.as_secs();
        assert!(
            grace > pre_stop + drain,
            "{kustomization}: terminationGracePeriodSeconds {grace} must exceed preStop {pre_stop} s + the drain bound {drain} s"
        );

        // The Service and the disruption budget select exactly the server's pods, and the
        // budget lets at most one of the three go at a time.
        let pod_labels = &spec["template"]["metadata"]["labels"];
        assert_eq!(
            spec["selector"]["matchLabels"], *pod_labels,
            "{kustomization}"
        );
        let service = manifests.one("Service");
        assert_eq!(service["spec"]["selector"], *pod_labels, "{kustomization}");
        let budget = manifests.one("PodDisruptionBudget");
        assert_eq!(budget["spec"]["selector"]["matchLabels"], *pod_labels);
        let min_available = budget["spec"]["minAvailable"].as_u64();
        let max_unavailable = budget["spec"]["maxUnavailable"].as_u64();
        assert!(
            max_unavailable == Some(1) || min_available == Some(2),
            "{kustomization}: the budget allows one disruption at a time: {budget}"
        );
        let job = manifests.one("Job");
        assert_eq!(
            only_container(&job["spec"]["template"]["spec"])["args"],
            serde_json::json!(["migrate"])
        );
    }
}

#[test]
fn every_pod_runs_as_65532_read_only_without_capabilities_and_within_limits() {
    if !tools::available(KUBECTL, &["version", "--client"]) {
        return;
    }
    for kustomization in KUSTOMIZATIONS {
        let manifests = Manifests::render(kustomization);
        for (kind, pod) in manifests.pod_specs() {
            let at = format!("{kustomization}: {kind}");
            let pod_security = &pod["securityContext"];
            assert_eq!(pod_security["runAsNonRoot"], true, "{at}");
            for id in ["runAsUser", "runAsGroup", "fsGroup"] {
                assert_eq!(pod_security[id], IMAGE_USER_ID, "{at}: {id}");
            }
            assert_eq!(
                pod_security["seccompProfile"]["type"], "RuntimeDefault",
                "{at}"
            );
            assert_eq!(pod["automountServiceAccountToken"], false, "{at}");

            let container = only_container(pod);
            let security = &container["securityContext"];
            assert_eq!(security["readOnlyRootFilesystem"], true, "{at}");
            assert_eq!(security["allowPrivilegeEscalation"], false, "{at}");
            assert_eq!(security["capabilities"]["drop"], serde_json::json!(["ALL"]));
            assert!(security["capabilities"]["add"].is_null(), "{at}");
            assert_eq!(security["seccompProfile"]["type"], "RuntimeDefault", "{at}");
            assert!(
                security["runAsUser"].is_null() || security["runAsUser"] == IMAGE_USER_ID,
                "{at}"
            );
            for bound in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    assert!(
                        container["resources"][bound][resource].is_string(),
                        "{at}: resources.{bound}.{resource}"
                    );
                }
            }
            let image = container["image"].as_str().expect("an image");
            let (name, tag) = image.rsplit_once(':').expect("a tagged image");
            assert_eq!(
                name.rsplit('/').next(),
                Some("donation_platform"),
                "{at}: {image} is not the release's image"
            );
            assert_eq!(
                tag,
                env!("CARGO_PKG_VERSION"),
                "{at}: the image of this version"
            );
        }
        let images = manifests
            .pod_specs()
            .map(|(_, pod)| only_container(pod)["image"].clone());
        assert_eq!(
            images[0], images[1],
            "{kustomization}: migrations of the same release"
        );
    }
}

#[test]
fn the_binary_accepts_the_rendered_configuration_with_its_writable_places_on_volumes() {
    if !tools::available(KUBECTL, &["version", "--client"]) {
        return;
    }
    for kustomization in KUSTOMIZATIONS {
        let manifests = Manifests::render(kustomization);
        assert!(
            manifests.all("Secret").is_empty(),
            "{kustomization}: applying the manifests would overwrite the operator's Secret"
        );
        let environment = manifests.environment();
        for name in environment.keys() {
            assert!(
                READ_BESIDE_THE_REGISTRY.contains(&name.as_str())
                    || cli::config::env_vars::ALL
                        .iter()
                        .any(|variable| variable.name == name),
                "{kustomization}: the binary reads no `{name}`"
            );
        }
        assert_eq!(environment["APP_ENV"], "prod", "{kustomization}");
        assert!(
            environment["DATABASE_URL"].starts_with("postgres://"),
            "{kustomization}: several replicas need PostgreSQL"
        );
        for (kind, pod) in manifests.pod_specs() {
            let mounts = volume_mounts(pod);
            for writable in ["DATA_DIR", "RUNTIME_DIRECTORY"] {
                let path = &environment[writable];
                assert!(
                    mounts
                        .iter()
                        .any(|(mount, read_only)| !read_only && Path::new(path).starts_with(mount)),
                    "{kustomization}: {kind}: {writable}={path} is not on a writable volume (the root is read-only)"
                );
            }
            let ca = &environment["SSL_CERT_FILE"];
            assert!(
                mounts
                    .iter()
                    .any(|(mount, _)| Path::new(ca).starts_with(mount)),
                "{kustomization}: {kind}: SSL_CERT_FILE={ca} is on no volume"
            );
        }
        config_check_as_in_the_pod(kustomization, &environment, &manifests);
    }
}

/// The container's volume mounts: path and whether read-only.
fn volume_mounts(pod: &Value) -> Vec<(PathBuf, bool)> {
    only_container(pod)["volumeMounts"]
        .as_array()
        .expect("volume mounts")
        .iter()
        .map(|mount| {
            let path = mount["mountPath"].as_str().expect("a mount path");
            (PathBuf::from(path), mount["readOnly"] == true)
        })
        .collect()
}

/// Runs `donation_platform config check` with the pod's environment, its volumes stood in for
/// by directories under a temporary root (the CA file present, as the operator's `ConfigMap`
/// puts it there): every value must parse and every rule of prod hold.
fn config_check_as_in_the_pod(
    kustomization: &str,
    environment: &BTreeMap<String, String>,
    manifests: &Manifests,
) {
    let root = tempfile::tempdir().unwrap();
    let mounts = volume_mounts(&manifests.one("Deployment")["spec"]["template"]["spec"]);
    let in_root = |path: &str| -> String {
        let relative = Path::new(path).strip_prefix("/").expect("an absolute path");
        root.path().join(relative).display().to_string()
    };
    for (mount, _) in &mounts {
        std::fs::create_dir_all(in_root(&mount.display().to_string())).unwrap();
    }
    let ca = in_root(&environment["SSL_CERT_FILE"]);
    std::fs::write(
        &ca,
        "a CA bundle (config check only checks that it is a file)\n",
    )
    .unwrap();
    let environment: Vec<(&str, String)> = environment
        .iter()
        .map(|(name, value)| {
            let on_a_volume = mounts
                .iter()
                .any(|(mount, _)| Path::new(value).starts_with(mount));
            let value = if on_a_volume {
                in_root(value)
            } else {
                value.clone()
            };
            (name.as_str(), value)
        })
        .collect();
    let checked = BinaryCommand::new(root.path())
        .args(["config", "check"])
        .envs(
            environment
                .iter()
                .map(|(name, value)| (*name, value.as_str())),
        )
        .output();
    assert_eq!(
        checked.code(),
        0,
        "{kustomization}: `config check` refuses the rendered configuration:\n{}",
        checked.all_output()
    );
}
