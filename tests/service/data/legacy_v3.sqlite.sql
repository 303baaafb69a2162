-- A SQLite database made by the pre-Alembic store (commit df23e9f: bot/store/migrations.py creating
-- tables from schema.py, versions recorded in schema_version), with one message, ticket, audit event
-- and agent; dumped with sqlite3's iterdump(). Never regenerate it: it stands for databases in the field.
BEGIN TRANSACTION;
CREATE TABLE agent_sessions (
	token_hash VARCHAR(64) NOT NULL, 
	agent_name VARCHAR(64) NOT NULL, 
	csrf_token VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	expires_at DATETIME NOT NULL, 
	PRIMARY KEY (token_hash)
);
CREATE TABLE agents (
	id INTEGER NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	display_name VARCHAR(64) NOT NULL, 
	password_hash VARCHAR(256) NOT NULL, 
	active BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_agents_name UNIQUE (name)
);
INSERT INTO "agents" VALUES(1,'wang','小王','scrypt$16384$8$1$c2FsdA$aGFzaA',1,'2026-11-23 02:00:00.000000');
CREATE TABLE chat_messages (
	id INTEGER NOT NULL, 
	session_id VARCHAR(64) NOT NULL, 
	sender VARCHAR(16) NOT NULL, 
	text TEXT NOT NULL, 
	buttons TEXT, 
	meta TEXT, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
);
INSERT INTO "chat_messages" VALUES(1,'legacy-session','customer','快递一直没到，已经一周了',NULL,'{"mode": "bot"}','2026-11-23 02:00:00.000000');
CREATE TABLE schema_version (
	version INTEGER NOT NULL, 
	applied_at DATETIME NOT NULL, 
	PRIMARY KEY (version)
);
INSERT INTO "schema_version" VALUES(1,'2026-11-01 00:00:00.000000');
INSERT INTO "schema_version" VALUES(2,'2026-11-01 00:00:00.000000');
INSERT INTO "schema_version" VALUES(3,'2026-11-01 00:00:00.000000');
CREATE TABLE ticket_counters (
	day VARCHAR(8) NOT NULL, 
	last_number INTEGER NOT NULL, 
	PRIMARY KEY (day)
);
INSERT INTO "ticket_counters" VALUES('20261123',1);
CREATE TABLE ticket_events (
	id INTEGER NOT NULL, 
	ticket_id VARCHAR(24) NOT NULL, 
	actor VARCHAR(64) NOT NULL, 
	action VARCHAR(32) NOT NULL, 
	details TEXT, 
	at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(ticket_id) REFERENCES tickets (id)
);
INSERT INTO "ticket_events" VALUES(1,'TK-20261123-0001','bot','created','{"priority": "normal", "risk_flags": [], "channel": "web"}','2026-11-23 02:00:00.000000');
CREATE TABLE tickets (
	id VARCHAR(24) NOT NULL, 
	idempotency_key VARCHAR(128) NOT NULL, 
	session_id VARCHAR(64), 
	customer_ref VARCHAR(128), 
	channel VARCHAR(32) NOT NULL, 
	order_number VARCHAR(64), 
	order_number_status VARCHAR(16) NOT NULL, 
	issue_type VARCHAR(32) NOT NULL, 
	category VARCHAR(16) NOT NULL, 
	expectation VARCHAR(32), 
	description TEXT NOT NULL, 
	phone VARCHAR(32), 
	priority VARCHAR(8) NOT NULL, 
	risk_flags TEXT NOT NULL, 
	triage_reasons TEXT NOT NULL, 
	repeat_contacts INTEGER NOT NULL, 
	complex_case BOOLEAN NOT NULL, 
	off_hours BOOLEAN NOT NULL, 
	handoff_requested BOOLEAN NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	assignee VARCHAR(64), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	first_response_due DATETIME NOT NULL, 
	resolution_due DATETIME NOT NULL, 
	first_responded_at DATETIME, 
	resolved_at DATETIME, 
	escalated_at DATETIME, 
	csat INTEGER, 
	csat_comment TEXT, 
	csat_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_tickets_idempotency_key UNIQUE (idempotency_key)
);
INSERT INTO "tickets" VALUES('TK-20261123-0001','legacy-1','legacy-session',NULL,'web','4512345678901234567','given','logistics_delay','logistics','expedite','快递一直没到',NULL,'normal','[]','[]',0,0,0,0,'new',NULL,'2026-11-23 02:00:00.000000','2026-11-23 02:00:00.000000','2026-11-23 02:15:00.000000','2026-11-24 02:00:00.000000',NULL,NULL,NULL,NULL,NULL,NULL);
CREATE INDEX ix_chat_messages_session ON chat_messages (session_id, id);
CREATE INDEX ix_tickets_order_number ON tickets (order_number);
CREATE INDEX ix_tickets_created_at ON tickets (created_at);
CREATE INDEX ix_tickets_status_priority ON tickets (status, priority);
CREATE INDEX ix_tickets_customer_ref ON tickets (customer_ref);
CREATE INDEX ix_tickets_session ON tickets (session_id);
CREATE INDEX ix_ticket_events_ticket ON ticket_events (ticket_id, id);
CREATE INDEX ix_agent_sessions_expires ON agent_sessions (expires_at);
COMMIT;
