package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vigil-cctv/vigil/evidence"

	"github.com/vigil-cctv/vigil/ingest"
	"github.com/vigil-cctv/vigil/ingest/alerts"
	"github.com/vigil-cctv/vigil/ingest/analytics"
	"github.com/vigil-cctv/vigil/ingest/hotspots"
	"github.com/vigil-cctv/vigil/ingest/nuisance"
	"github.com/vigil-cctv/vigil/ingest/tasking"
)

func (c AnalyticsConfig) engineConfig() analytics.Config {
	return analytics.Config{Rate: c.Rate, Workers: c.Workers, Width: c.Width, Stream: c.Stream,
		CoveredAfter: c.CoveredAfter, MovedAfter: c.MovedAfter, DefocusAfter: c.DefocusAfter, FrozenAfter: c.FrozenAfter}
}

// plateCameras is which cameras' plates are read: none unless enabled,
// then those listed, or every analysed camera.
func (c ANPRConfig) plateCameras() func(string) bool {
	if !c.Enabled {
		return nil
	}
	return func(camera string) bool { return len(c.Cameras) == 0 || slices.Contains(c.Cameras, camera) }
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
	cfg := a.Config.Analytics.engineConfig()
	cfg.PlateCameras, cfg.PlateRegion = a.Config.ANPR.plateCameras(), a.Config.ANPR.Region
	if m := a.Config.ANPR.MainStream; m == nil || *m {
		cfg.PlateMainHub = func(camera string) *ingest.Hub { return a.sup.Hub(camera, ingest.StreamMain) }
	}
	a.analytics = &analytics.Engine{Config: cfg, Store: a.store, Alerts: a.alerts,
		Registerer: a.metrics, Logger: a.logger.With("component", "analytics")}
	if a.nuisance != nil {
		a.analytics.Plates = a.nuisance
	}
	if err := a.analytics.Initialize(); err != nil {
		a.analytics = nil
		return fmt.Errorf("analytics: %w", err)
	}
	a.registry.analytics = a.analytics
	a.registry.analysedStream = a.analytics.Config.Stream
	return nil
}

// startANPR starts the nuisance-vehicle rules (watch-list matching and
// behaviour over areas) that the plate reads of analytics go through.
func (a *App) startANPR() error {
	c := a.Config.ANPR
	if !c.Enabled {
		return nil
	}
	a.nuisance = &nuisance.Service{Store: a.store, Alerts: a.alerts, Rules: c.Rules, MaxDistance: c.WatchMaxDistance,
		Registerer: a.metrics, Logger: a.logger.With("component", "anpr")}
	if err := a.nuisance.Initialize(); err != nil {
		a.nuisance = nil
		return fmt.Errorf("anpr: %w", err)
	}
	return nil
}

// prunePlateReads deletes the reads older than the retention period, and
// records the deletion (how many, of which period) in the evidence log.
func (a *App) prunePlateReads(ctx context.Context, now time.Time) {
	p, err := a.store.PrunePlateReads(ctx, now.Add(-a.Config.ANPR.Retention))
	if err != nil {
		a.logger.Error("pruning number-plate reads", "error", err)
		return
	}
	if p.Count == 0 {
		return
	}
	if _, err := a.evlog.Append(ctx, &evidence.Entry{Action: evidence.ActionPlateReadsPruned, Actor: evidence.ActorRetention,
		From: p.Oldest, To: p.Newest, Reason: fmt.Sprintf("retention: reads are kept %s", a.Config.ANPR.Retention),
		Detail: fmt.Sprintf("%d plate reads deleted", p.Count)}); err != nil {
		a.logger.Error("plate reads deleted but not recorded in the evidence log", "count", p.Count, "error", err)
	}
}

// startTasking starts the BJAG deployment workflow (and its review
// sweeper) and hands it to the API.
func (a *App) startTasking() error {
	b := a.Config.BJAG.Borough
	a.tasking = &tasking.Service{Store: a.store, Cameras: a.registry, Audit: a.evlog, Alerts: a.alerts,
		Borough:     tasking.Bounds{MinLat: b.MinLat, MaxLat: b.MaxLat, MinLon: b.MinLon, MaxLon: b.MaxLon},
		ReviewGrace: a.Config.BJAG.ReviewGrace, Registerer: a.metrics, Logger: a.logger.With("component", "tasking")}
	if a.analytics != nil {
		a.tasking.Analytics = a.analytics
	}
	if err := a.tasking.Initialize(); err != nil {
		a.tasking = nil
		return fmt.Errorf("deployments: %w", err)
	}
	a.server.Deployments, a.server.DeploymentRecords = a.tasking, a.store
	return nil
}
