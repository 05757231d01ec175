package app

import (
	"fmt"

	"github.com/vigil-cctv/vigil/ingest/alerts"
	"github.com/vigil-cctv/vigil/ingest/analytics"
	"github.com/vigil-cctv/vigil/ingest/hotspots"
)

func (c AnalyticsConfig) engineConfig() analytics.Config {
	return analytics.Config{Rate: c.Rate, Workers: c.Workers, Width: c.Width, Stream: c.Stream,
		CoveredAfter: c.CoveredAfter, MovedAfter: c.MovedAfter, DefocusAfter: c.DefocusAfter, FrozenAfter: c.FrozenAfter}
}

func (c AlertsConfig) webhook() alerts.Webhook {
	return alerts.Webhook{URL: c.WebhookURL, Secret: c.WebhookSecret, Timeout: c.WebhookTimeout,
		Queue: c.WebhookQueue, Attempts: c.WebhookAttempts, Backoff: c.WebhookBackoff}
}

// startAlerts starts the alert service (the web UI's stream, the webhook)
// and the rule evaluator that raises activity alerts.
func (a *App) startAlerts() error {
	a.alerts = &alerts.Service{Store: a.store, Webhook: a.Config.Alerts.webhook(), Registerer: a.metrics,
		Logger: a.logger.With("component", "alerts")}
	if err := a.alerts.Initialize(); err != nil {
		a.alerts = nil
		return fmt.Errorf("alerts: %w", err)
	}
	a.rules = &hotspots.Evaluator{Store: a.store, Alerts: a.alerts, Logger: a.logger.With("component", "alert-rules")}
	if err := a.rules.Initialize(); err != nil {
		a.rules = nil
		return fmt.Errorf("alert rules: %w", err)
	}
	return nil
}

// startAnalytics starts motion and tamper analytics; the registry hands
// it each camera's analysed stream.
func (a *App) startAnalytics() error {
	if !a.Config.Analytics.Enabled {
		return nil
	}
	a.analytics = &analytics.Engine{Config: a.Config.Analytics.engineConfig(), Store: a.store, Alerts: a.alerts,
		Registerer: a.metrics, Logger: a.logger.With("component", "analytics")}
	if err := a.analytics.Initialize(); err != nil {
		a.analytics = nil
		return fmt.Errorf("analytics: %w", err)
	}
	a.registry.analytics = a.analytics
	a.registry.analysedStream = a.analytics.Config.Stream
	return nil
}
