// Package deploy holds Vigil's deployment and monitoring assets: the Prometheus
// scrape configuration, alerting and recording rules with their unit tests, the
// Grafana dashboards and provisioning files, the Kubernetes manifests and the
// container build file. See README.md in this directory.
//
// The package has no code of its own; its tests check the assets with promtool
// (Debian package "prometheus"), with encoding/json, and, for the Kubernetes
// manifests, with kustomize's library and the API types of k8s.io/api.
package deploy
