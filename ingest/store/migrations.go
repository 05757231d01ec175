package store

// migrations are applied in order, each once: the schema's version is how
// many have been. They are written in SQLite's dialect; PostgreSQL runs
// them through postgresDDL, so both backends have the same schema.
var migrations = []string{
	`CREATE TABLE cameras (
		id             TEXT PRIMARY KEY,
		name           TEXT NOT NULL,
		site           TEXT NOT NULL DEFAULT '',
		ward           TEXT NOT NULL DEFAULT '',
		latitude       REAL,
		longitude      REAL,
		kind           TEXT NOT NULL,
		main_url       TEXT NOT NULL,
		sub_url        TEXT NOT NULL DEFAULT '',
		username       TEXT NOT NULL DEFAULT '',
		password       TEXT NOT NULL DEFAULT '',
		retention_days INTEGER NOT NULL,
		enabled        INTEGER NOT NULL,
		managed_by     TEXT NOT NULL,
		created_us     INTEGER NOT NULL,
		updated_us     INTEGER NOT NULL
	);
	CREATE TABLE outages (
		id        INTEGER PRIMARY KEY AUTOINCREMENT,
		camera_id TEXT NOT NULL,
		stream    TEXT NOT NULL,
		start_us  INTEGER NOT NULL,
		end_us    INTEGER,
		reason    TEXT NOT NULL
	);
	CREATE INDEX outages_camera_time ON outages(camera_id, start_us);`,

	// 2: the recording index (issue 3). A camera's segments never overlap;
	// playback looks them up by end time. Deletions are never forgotten.
	`CREATE TABLE segments (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		camera_id  TEXT NOT NULL,
		start_us   INTEGER NOT NULL,
		end_us     INTEGER NOT NULL,
		path       TEXT NOT NULL UNIQUE,
		bytes      INTEGER NOT NULL,
		sha256     TEXT NOT NULL,
		stream_id  TEXT NOT NULL,
		sequence   INTEGER NOT NULL,
		frames     INTEGER NOT NULL,
		repaired   INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX segments_camera_end ON segments(camera_id, end_us);
	CREATE INDEX segments_start ON segments(start_us);
	CREATE TABLE gaps (
		id        INTEGER PRIMARY KEY AUTOINCREMENT,
		camera_id TEXT NOT NULL,
		start_us  INTEGER NOT NULL,
		end_us    INTEGER NOT NULL,
		reason    TEXT NOT NULL
	);
	CREATE INDEX gaps_camera_end ON gaps(camera_id, end_us);
	CREATE TABLE holds (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		camera_id  TEXT NOT NULL,
		start_us   INTEGER NOT NULL,
		end_us     INTEGER NOT NULL,
		reason     TEXT NOT NULL,
		created_by TEXT NOT NULL,
		created_us INTEGER NOT NULL
	);
	CREATE INDEX holds_camera ON holds(camera_id, start_us);
	CREATE TABLE deletions (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		camera_id  TEXT NOT NULL,
		start_us   INTEGER NOT NULL,
		end_us     INTEGER NOT NULL,
		path       TEXT NOT NULL,
		bytes      INTEGER NOT NULL,
		sha256     TEXT NOT NULL,
		reason     TEXT NOT NULL,
		deleted_us INTEGER NOT NULL
	);
	CREATE INDEX deletions_camera ON deletions(camera_id, start_us);`,

	// 3: legal holds gain who asked, a review date, extension and a
	// two-person release (issue 4). Holds placed before this have no
	// requester or review date: NULL / ''. A hold is active while
	// released_us is NULL. evidence_people maps a log pseudonym back to a
	// person's name and salt, outside the log, so erasing a row never
	// breaks the hash chain. (IF NOT EXISTS: a test rolls a database back
	// to version 1 by dropping only the tables of migration 2.)
	`ALTER TABLE holds ADD COLUMN requested_by TEXT NOT NULL DEFAULT '';
	ALTER TABLE holds ADD COLUMN review_us INTEGER;
	ALTER TABLE holds ADD COLUMN extended_by TEXT NOT NULL DEFAULT '';
	ALTER TABLE holds ADD COLUMN extended_us INTEGER;
	ALTER TABLE holds ADD COLUMN release_requested_by TEXT NOT NULL DEFAULT '';
	ALTER TABLE holds ADD COLUMN release_requested_us INTEGER;
	ALTER TABLE holds ADD COLUMN release_reason TEXT NOT NULL DEFAULT '';
	ALTER TABLE holds ADD COLUMN released_by TEXT NOT NULL DEFAULT '';
	ALTER TABLE holds ADD COLUMN released_us INTEGER;
	CREATE INDEX holds_active ON holds(camera_id, end_us) WHERE released_us IS NULL;
	CREATE TABLE IF NOT EXISTS evidence_people (
		pseudonym  TEXT PRIMARY KEY,
		name       TEXT NOT NULL UNIQUE,
		salt       BLOB NOT NULL,
		created_us INTEGER NOT NULL
	);`,

	// 4: the store is the evidence log's outbox (issue 4): a sealed segment
	// or a deletion is committed here first, then logged, and the seq of its
	// log entry noted. Rows still NULL after a crash are logged at start-up.
	`ALTER TABLE segments ADD COLUMN sealed_seq INTEGER;
	ALTER TABLE deletions ADD COLUMN logged_seq INTEGER;
	CREATE INDEX segments_unlogged ON segments(id) WHERE sealed_seq IS NULL;
	CREATE INDEX deletions_unlogged ON deletions(id) WHERE logged_seq IS NULL;`,

	// 5: people and access (issue 5). Users are never deleted, only
	// disabled, so the audit keeps naming them. Secrets are stored hashed:
	// session ids, API tokens and download links as SHA-256, passwords as
	// argon2id. roles is a comma list; scope is JSON ('' = every camera).
	// An approved export request is also the police officer's viewing
	// grant until grant_until_us.
	`CREATE TABLE users (
		id                  INTEGER PRIMARY KEY AUTOINCREMENT,
		username            TEXT NOT NULL UNIQUE,
		display_name        TEXT NOT NULL DEFAULT '',
		roles               TEXT NOT NULL,
		scope               TEXT NOT NULL DEFAULT '',
		password_hash       TEXT NOT NULL,
		must_change         INTEGER NOT NULL DEFAULT 0,
		totp_secret         BLOB,
		totp_pending        BLOB,
		totp_last_step      INTEGER NOT NULL DEFAULT 0,
		failed_logins       INTEGER NOT NULL DEFAULT 0,
		locked_until_us     INTEGER NOT NULL DEFAULT 0,
		disabled            INTEGER NOT NULL DEFAULT 0,
		password_changed_us INTEGER NOT NULL,
		created_us          INTEGER NOT NULL,
		created_by          TEXT NOT NULL
	);
	CREATE TABLE sessions (
		id_hash    BLOB PRIMARY KEY,
		user_id    INTEGER NOT NULL REFERENCES users(id),
		csrf       TEXT NOT NULL,
		created_us INTEGER NOT NULL,
		seen_us    INTEGER NOT NULL,
		expires_us INTEGER NOT NULL,
		remote     TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX sessions_user ON sessions(user_id);
	CREATE TABLE api_tokens (
		id           INTEGER PRIMARY KEY AUTOINCREMENT,
		name         TEXT NOT NULL UNIQUE,
		hash         BLOB NOT NULL UNIQUE,
		scopes       TEXT NOT NULL,
		expires_us   INTEGER NOT NULL,
		created_us   INTEGER NOT NULL,
		created_by   TEXT NOT NULL,
		revoked_us   INTEGER,
		last_used_us INTEGER
	);
	CREATE TABLE export_requests (
		id              TEXT PRIMARY KEY,
		crime_ref       TEXT NOT NULL,
		cameras         TEXT NOT NULL,
		start_us        INTEGER NOT NULL,
		end_us          INTEGER NOT NULL,
		reason          TEXT NOT NULL,
		requested_by    TEXT NOT NULL,
		officer         TEXT NOT NULL,
		requested_us    INTEGER NOT NULL,
		state           TEXT NOT NULL,
		decided_by      TEXT NOT NULL DEFAULT '',
		decided_us      INTEGER,
		decision_reason TEXT NOT NULL DEFAULT '',
		grant_until_us  INTEGER,
		bundle_dir      TEXT NOT NULL DEFAULT '',
		build_error     TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX export_requests_state ON export_requests(state, requested_us);
	CREATE INDEX export_requests_by ON export_requests(requested_by, state);
	CREATE TABLE download_links (
		hash       BLOB PRIMARY KEY,
		request_id TEXT NOT NULL REFERENCES export_requests(id),
		created_by TEXT NOT NULL,
		created_us INTEGER NOT NULL,
		expires_us INTEGER NOT NULL,
		one_time   INTEGER NOT NULL,
		used_us    INTEGER,
		uses       INTEGER NOT NULL DEFAULT 0
	);`,
	// 6: the control room's own records (issue 6). A bookmark marks an
	// incident at one time on one or more cameras (a comma list); a wall
	// is one user's saved layout of tiles (a JSON array of camera ids).
	`CREATE TABLE bookmarks (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		at_us      INTEGER NOT NULL,
		cameras    TEXT NOT NULL,
		note       TEXT NOT NULL,
		created_by TEXT NOT NULL,
		created_us INTEGER NOT NULL
	);
	CREATE INDEX bookmarks_at ON bookmarks(at_us);
	CREATE TABLE walls (
		id           INTEGER PRIMARY KEY AUTOINCREMENT,
		user_id      INTEGER NOT NULL REFERENCES users(id),
		name         TEXT NOT NULL,
		layout       TEXT NOT NULL,
		tiles        TEXT NOT NULL,
		tour         TEXT NOT NULL,
		tour_seconds INTEGER NOT NULL,
		updated_us   INTEGER NOT NULL,
		UNIQUE (user_id, name)
	);`,
	// 7: analytics (issue 7). Per-camera analytics settings (zones,
	// exclusion and privacy masks as JSON polygons in frame fractions);
	// events (motion per zone, camera tamper) with a small JPEG thumbnail;
	// activity per camera, zone and 15-minute bucket (kept a year); alert
	// rules and the alerts they and the tamper detectors raise.
	`CREATE TABLE camera_analytics (
		camera      TEXT PRIMARY KEY,
		enabled     INTEGER NOT NULL,
		sensitivity INTEGER NOT NULL,
		min_area    REAL NOT NULL,
		zones       TEXT NOT NULL,
		exclusions  TEXT NOT NULL,
		privacy     TEXT NOT NULL,
		updated_us  INTEGER NOT NULL,
		updated_by  TEXT NOT NULL
	);
	CREATE TABLE analytics_events (
		id        INTEGER PRIMARY KEY AUTOINCREMENT,
		camera    TEXT NOT NULL,
		kind      TEXT NOT NULL,
		zone      TEXT NOT NULL,
		start_us  INTEGER NOT NULL,
		end_us    INTEGER,
		peak      REAL NOT NULL,
		objects   INTEGER NOT NULL,
		detail    TEXT NOT NULL,
		thumbnail BLOB
	);
	CREATE INDEX analytics_events_camera ON analytics_events(camera, start_us);
	CREATE INDEX analytics_events_start ON analytics_events(start_us);
	CREATE TABLE activity (
		camera        TEXT NOT NULL,
		zone          TEXT NOT NULL,
		bucket_us     INTEGER NOT NULL,
		frames        INTEGER NOT NULL,
		motion_frames INTEGER NOT NULL,
		objects       INTEGER NOT NULL,
		PRIMARY KEY (camera, zone, bucket_us)
	) WITHOUT ROWID;
	CREATE INDEX activity_bucket ON activity(bucket_us);
	CREATE TABLE alert_rules (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT NOT NULL UNIQUE,
		camera     TEXT NOT NULL,
		zone       TEXT NOT NULL,
		factor     REAL NOT NULL,
		min_share  REAL NOT NULL,
		hour_from  INTEGER NOT NULL,
		hour_to    INTEGER NOT NULL,
		severity   TEXT NOT NULL,
		enabled    INTEGER NOT NULL,
		created_by TEXT NOT NULL,
		created_us INTEGER NOT NULL
	);
	CREATE TABLE alerts (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		at_us      INTEGER NOT NULL,
		camera     TEXT NOT NULL,
		kind       TEXT NOT NULL,
		rule       TEXT NOT NULL,
		severity   TEXT NOT NULL,
		message    TEXT NOT NULL,
		event_id   INTEGER,
		thumbnail  BLOB,
		acked_us   INTEGER,
		acked_by   TEXT NOT NULL DEFAULT '',
		ack_note   TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX alerts_at ON alerts(at_us);`,
	// 8: ANPR (issue 8). One row per vehicle passage read by a camera
	// (plate in normal form, per-character confidence as JSON, the plate
	// crop and vehicle thumbnail as JPEG), the watch-list of nuisance
	// vehicles (one entry per plate), and the plate and read an ANPR alert
	// is about.
	`CREATE TABLE plate_reads (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		camera     TEXT NOT NULL,
		at_us      INTEGER NOT NULL,
		first_us   INTEGER NOT NULL,
		last_us    INTEGER NOT NULL,
		plate      TEXT NOT NULL,
		text       TEXT NOT NULL,
		format     TEXT NOT NULL,
		confidence REAL NOT NULL,
		char_conf  TEXT NOT NULL,
		direction  TEXT NOT NULL,
		frames     INTEGER NOT NULL,
		box        TEXT NOT NULL,
		crop       BLOB,
		thumbnail  BLOB
	);
	CREATE INDEX plate_reads_at ON plate_reads(at_us);
	CREATE INDEX plate_reads_plate ON plate_reads(plate, at_us);
	CREATE INDEX plate_reads_camera ON plate_reads(camera, at_us);
	CREATE TABLE watchlist (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		plate      TEXT NOT NULL UNIQUE,
		category   TEXT NOT NULL,
		reason     TEXT NOT NULL,
		added_by   TEXT NOT NULL,
		added_us   INTEGER NOT NULL,
		expires_us INTEGER NOT NULL
	);
	ALTER TABLE alerts ADD COLUMN plate TEXT NOT NULL DEFAULT '';
	ALTER TABLE alerts ADD COLUMN read_id INTEGER;`,
	// 9: mobile camera tasking (issue 9). A deployment request's area,
	// problem, evidence and justification are one JSON body (read whole);
	// what the life cycle queries is in columns. One camera serves one
	// active deployment at a time (the partial unique index). Every
	// transition is a deployment_events row (and an evidence-log entry).
	// camera_locations is where each camera stood from when to when
	// (to_us NULL: still there), so footage is placed where it was taken.
	`CREATE TABLE deployments (
		id                 INTEGER PRIMARY KEY AUTOINCREMENT,
		state              TEXT NOT NULL,
		body               TEXT NOT NULL,
		requested_by       TEXT NOT NULL,
		requested_us       INTEGER NOT NULL,
		decided_by         TEXT NOT NULL DEFAULT '',
		decided_us         INTEGER,
		decision           TEXT NOT NULL DEFAULT '',
		review_us          INTEGER,
		camera             TEXT NOT NULL DEFAULT '',
		install_us         INTEGER,
		live_us            INTEGER,
		removal_us         INTEGER,
		removed_us         INTEGER,
		overdue_alerted_us INTEGER,
		version            INTEGER NOT NULL DEFAULT 1,
		updated_us         INTEGER NOT NULL
	);
	CREATE INDEX deployments_state ON deployments(state, review_us);
	CREATE UNIQUE INDEX deployments_active_camera ON deployments(camera)
		WHERE state IN ('scheduled', 'live', 'under_review', 'removal_scheduled');
	CREATE TABLE deployment_events (
		id            INTEGER PRIMARY KEY AUTOINCREMENT,
		deployment_id INTEGER NOT NULL REFERENCES deployments(id),
		at_us         INTEGER NOT NULL,
		from_state    TEXT NOT NULL,
		to_state      TEXT NOT NULL,
		actor         TEXT NOT NULL,
		reason        TEXT NOT NULL,
		detail        TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX deployment_events_deployment ON deployment_events(deployment_id, at_us);
	CREATE TABLE camera_locations (
		id            INTEGER PRIMARY KEY AUTOINCREMENT,
		camera        TEXT NOT NULL,
		from_us       INTEGER NOT NULL,
		to_us         INTEGER,
		latitude      REAL NOT NULL,
		longitude     REAL NOT NULL,
		name          TEXT NOT NULL,
		address       TEXT NOT NULL,
		site          TEXT NOT NULL,
		ward          TEXT NOT NULL,
		deployment_id INTEGER
	);
	CREATE INDEX camera_locations_camera ON camera_locations(camera, from_us);`,
	// 10: several nodes (issue 10). Each node says it is alive (seen_us)
	// and how many cameras it may own; each enabled camera is owned by one
	// node through a lease it renews, whose epoch goes up at every change
	// of owner (a fencing token: a node that lost a camera finds out at
	// its next renewal). A rebalance marks a lease moving_to another node
	// (at moving_us), which gets ready (moving_ready: it has the camera's
	// picture); then the owner cuts its recording before a keyframe and
	// hands the lease over with that keyframe's time (cut_us), where the
	// new owner's recording begins. camera_status is each camera's health
	// as its owner last reported it (JSON), for the other nodes to show.
	// A segment's file is on the disk of the node that
	// recorded it ('' = the single node of a site that never had several),
	// and so is a deletion's: each node logs its own.
	`CREATE TABLE nodes (
		id         TEXT PRIMARY KEY,
		url        TEXT NOT NULL,
		cert       TEXT NOT NULL,
		capacity   INTEGER NOT NULL,
		started_us INTEGER NOT NULL,
		seen_us    INTEGER NOT NULL,
		stopped_us INTEGER
	);
	CREATE TABLE camera_leases (
		camera      TEXT PRIMARY KEY,
		node        TEXT NOT NULL,
		epoch       INTEGER NOT NULL,
		acquired_us INTEGER NOT NULL,
		expires_us  INTEGER NOT NULL,
		reason      TEXT NOT NULL,
		moving_to   TEXT NOT NULL DEFAULT '',
		moving_us   INTEGER,
		moving_ready INTEGER NOT NULL DEFAULT 0,
		cut_us      INTEGER
	);
	CREATE INDEX camera_leases_node ON camera_leases(node);
	CREATE TABLE cluster_secret (
		id     INTEGER PRIMARY KEY CHECK (id = 1),
		secret BLOB NOT NULL
	);
	CREATE TABLE camera_status (
		camera     TEXT PRIMARY KEY,
		node       TEXT NOT NULL,
		status     TEXT NOT NULL,
		updated_us INTEGER NOT NULL
	);
	ALTER TABLE segments ADD COLUMN node TEXT NOT NULL DEFAULT '';
	ALTER TABLE deletions ADD COLUMN node TEXT NOT NULL DEFAULT '';
	CREATE INDEX segments_node ON segments(node, start_us);`,
	// 11: an approved export is built on the node that approved it, whose
	// disk then holds the bundle; the others forward its status and its
	// download there, and do not build it too.
	`ALTER TABLE export_requests ADD COLUMN node TEXT NOT NULL DEFAULT '';`,
	// 12: a camera's ONVIF device service, and the profile that steers
	// it when it is a PTZ dome (issue 11).
	`ALTER TABLE cameras ADD COLUMN onvif_url TEXT NOT NULL DEFAULT '';
	ALTER TABLE cameras ADD COLUMN ptz_profile TEXT NOT NULL DEFAULT '';`,
	// 13: shared S3-compatible storage for recordings (issue 10). A
	// segment uploaded there has its place in object_key ('bucket/key');
	// '' means its file is on node's disk. The object of a deleted
	// segment waits in object_deletes until the object store has deleted
	// it too, so no deletion is forgotten while the store is unreachable.
	`ALTER TABLE segments ADD COLUMN object_key TEXT NOT NULL DEFAULT '';
	CREATE INDEX segments_on_disk ON segments(node, id) WHERE object_key = '';
	CREATE TABLE object_deletes (
		object_key TEXT PRIMARY KEY,
		queued_us  INTEGER NOT NULL
	);`,
	// 14: each camera's clock offset from the server as it was measured
	// over time, so that an export says the offset in effect when its
	// footage was recorded, not when it was exported.
	`CREATE TABLE clock_offsets (
		id        INTEGER PRIMARY KEY AUTOINCREMENT,
		camera_id TEXT NOT NULL,
		at_us     INTEGER NOT NULL,
		offset_us INTEGER NOT NULL,
		source    TEXT NOT NULL
	);
	CREATE INDEX clock_offsets_camera ON clock_offsets(camera_id, at_us);`,
}
