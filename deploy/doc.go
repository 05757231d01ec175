// Package deploy holds Vigil's deployment and monitoring assets: the Prometheus
// scrape configuration, alerting and recording rules with their unit tests, and the
// Grafana dashboards and provisioning files. See README.md in this directory.
//
// The package has no code of its own; its tests check the assets with promtool
// (Debian package "prometheus") and with encoding/json.
package deploy
