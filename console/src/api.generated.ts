// Generated from docs/openapi.json by `npm run api:generate` (openapi-typescript). Do not edit: change the
// route's zod schema, regenerate, and commit both files. `npm run api:check` fails when they are stale.

export interface paths {
    "/api/alert-rules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List alert rules
         * @description App role MailboxPermissionSync.Admin.
         */
        get: operations["listAlertRules"];
        put?: never;
        /**
         * Create an alert rule: a signed webhook call for every grant of the watched rights on the watched mailboxes
         * @description App role MailboxPermissionSync.Admin.
         */
        post: operations["createAlertRule"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alert-rules/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get an alert rule
         * @description App role MailboxPermissionSync.Admin.
         */
        get: operations["getAlertRule"];
        put?: never;
        post?: never;
        /**
         * Delete an alert rule (its recorded deliveries stay)
         * @description App role MailboxPermissionSync.Admin.
         */
        delete: operations["deleteAlertRule"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alert-rules/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A rule's deliveries, newest first, each with its attempts
         * @description App role MailboxPermissionSync.Admin.
         */
        get: operations["listAlertDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/alert-rules/{id}/test": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a test delivery now (same signing; the body says "test": true) and answer its attempt
         * @description App role MailboxPermissionSync.Admin.
         */
        post: operations["testAlertRule"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/audit-feed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The change feed from the audit log: subscription, checkpoint, lag (now − newest record read), the last 24 h counted (records, hints, ignored, unreadable), the last poll and its error, and the spans it lost
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["getAuditFeed"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/console/{path}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * consoleAssets
         * @description No authentication.
         */
        get: operations["consoleAssets"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/console/config": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The console's Entra ID sign-in settings (public client id, authority, API scope)
         * @description No authentication.
         */
        get: operations["consoleConfig"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/delegation-changes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * History of granted/revoked delegations, newest first (since defaults to 30 days ago; at most 366 days)
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["listDelegationChanges"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/diagnostics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Preflight of the app's own permissions: Graph and Exchange tokens, read a group, Get-MailboxPermission, tables, queue, the audit feed (Management API token, subscription, content) — each with the fix
         * @description App role MailboxPermissionSync.Admin.
         */
        get: operations["diagnostics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/directory/groups": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Group picker for task targets: groups whose display name starts with ?search= (synced or cloud)
         * @description App role MailboxPermissionSync.Admin.
         */
        get: operations["searchDirectoryGroups"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/directory/groups/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * One group by object id, live from the directory: how the console names a task's target group
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["getDirectoryGroup"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness: configuration loaded, tables and queue reachable (no secrets, no tenant data)
         * @description No authentication.
         */
        get: operations["health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/mailboxes/{mailbox}/delegates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Who can access a mailbox (address or object id); ?at= for a past time (rebuilt from history, with historyCompleteFrom and complete); ?format=csv exports
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["getMailboxDelegates"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/me/delegate-mailboxes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The caller’s own delegate mailboxes (by the token’s oid); never another user’s
         * @description Any valid user token of the tenant (own data only, by oid).
         */
        get: operations["getMyDelegateMailboxes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/openapi.json": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The OpenAPI 3.1 document of this API
         * @description No authentication.
         */
        get: operations["openapi"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List schedules
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["listSchedules"];
        put?: never;
        /**
         * Create a schedule (oneOff, daily or weekly, in an IANA time zone)
         * @description App role MailboxPermissionSync.Admin.
         */
        post: operations["createSchedule"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/schedules/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a schedule
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["getSchedule"];
        /**
         * Replace a schedule (tasks use it from their next evaluation)
         * @description App role MailboxPermissionSync.Admin.
         */
        put: operations["updateSchedule"];
        post?: never;
        /**
         * Delete a schedule (409 while a task uses it)
         * @description App role MailboxPermissionSync.Admin.
         */
        delete: operations["deleteSchedule"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tasks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List tasks with schedule, next due time and last run
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["listTasks"];
        put?: never;
        /**
         * Create a Mailbox Permission Sync task
         * @description App role MailboxPermissionSync.Admin.
         */
        post: operations["createTask"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tasks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a task
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["getTask"];
        /**
         * Replace a task (a run in flight keeps its settings)
         * @description App role MailboxPermissionSync.Admin.
         */
        put: operations["updateTask"];
        post?: never;
        /**
         * Delete a task (409 while a run is active)
         * @description App role MailboxPermissionSync.Admin.
         */
        delete: operations["deleteTask"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tasks/{id}/run": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Run a task now
         * @description App role MailboxPermissionSync.Admin.
         */
        post: operations["runTaskNow"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tasks/{id}/runs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Run history of a task, newest first
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["listRuns"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tasks/{id}/runs/{runId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A run's status and counts
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["getRun"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tasks/{id}/runs/{runId}/held-revocations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Revocations a run held back for review (status needsReview); held rows stay in lookups until applied
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["listHeldRevocations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tasks/{id}/runs/{runId}/held-revocations/apply": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Apply a run's held revocations, each re-checked against the stored state (a later sync may have seen it)
         * @description App role MailboxPermissionSync.Admin.
         */
        post: operations["applyHeldRevocations"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tasks/{id}/runs/{runId}/held-revocations/dismiss": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Dismiss a run's held revocations: nothing is revoked, the run's review records who decided
         * @description App role MailboxPermissionSync.Admin.
         */
        post: operations["dismissHeldRevocations"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/tasks/{id}/runs/{runId}/mailboxes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Per-mailbox outcomes of a run (e.g. ?status=failed with the reasons)
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["listRunMailboxes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/users/{user}/delegate-mailboxes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Mailboxes a user (UPN, SMTP address or object id) can access, with rights, source, via and first seen; ?at= for a past time (rebuilt from history, with historyCompleteFrom and complete); ?format=csv exports
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["getUserDelegateMailboxes"];
        put?: never;
        /**
         * Add Manual delegation(s) of a mailbox to a user (never removed by sync); any user and mailbox of the tenant (id, UPN or SMTP address), synced or not
         * @description App role MailboxPermissionSync.Admin.
         */
        post: operations["addManualDelegation"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/users/{user}/delegate-mailboxes/{mailbox}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Remove a user’s Manual delegation(s) on a mailbox (?right= for one); synced ones answer 409 with why
         * @description App role MailboxPermissionSync.Admin.
         */
        delete: operations["removeManualDelegation"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/users/{user}/footprint": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A leaver’s footprint: what the user can open (canOpen), who holds rights on the user’s own mailbox (onOwnMailbox) and the trustee groups that give the user access (throughGroups); ?format=csv exports one table
         * @description App role MailboxPermissionSync.Reader or MailboxPermissionSync.Admin.
         */
        get: operations["getUserFootprint"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: never;
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listAlertRules: {
        parameters: {
            query?: {
                continuationToken?: string;
                top?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of alert rules */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        continuationToken: string | null;
                        items: {
                            createdAt: string;
                            description: string;
                            /**
                             * @description the secret is stored and never returned
                             * @enum {boolean}
                             */
                            hasSecret: true;
                            id: string;
                            rights: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                            watch: {
                                /** @enum {string} */
                                kind: "mailboxes";
                                mailboxes: {
                                    address: string;
                                    displayName: string;
                                    id: string;
                                }[];
                            } | {
                                displayName: string;
                                groupId: string;
                                /** @enum {string} */
                                kind: "group";
                            };
                            webhookUrl: string;
                        }[];
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    createAlertRule: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    description: string;
                    group?: {
                        groupId: string;
                        /** @enum {string} */
                        kind: "group";
                    } | {
                        email: string;
                        /** @enum {string} */
                        kind: "groupEmail";
                    };
                    mailboxes?: string[];
                    rights: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                    secret: string;
                    webhookUrl: string;
                };
            };
        };
        responses: {
            /** @description Created (the secret is not returned) */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt: string;
                        description: string;
                        /**
                         * @description the secret is stored and never returned
                         * @enum {boolean}
                         */
                        hasSecret: true;
                        id: string;
                        rights: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                        watch: {
                            /** @enum {string} */
                            kind: "mailboxes";
                            mailboxes: {
                                address: string;
                                displayName: string;
                                id: string;
                            }[];
                        } | {
                            displayName: string;
                            groupId: string;
                            /** @enum {string} */
                            kind: "group";
                        };
                        webhookUrl: string;
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description A mailbox or the group does not exist in the tenant */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    getAlertRule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The alert rule */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt: string;
                        description: string;
                        /**
                         * @description the secret is stored and never returned
                         * @enum {boolean}
                         */
                        hasSecret: true;
                        id: string;
                        rights: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                        watch: {
                            /** @enum {string} */
                            kind: "mailboxes";
                            mailboxes: {
                                address: string;
                                displayName: string;
                                id: string;
                            }[];
                        } | {
                            displayName: string;
                            groupId: string;
                            /** @enum {string} */
                            kind: "group";
                        };
                        webhookUrl: string;
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    deleteAlertRule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    listAlertDeliveries: {
        parameters: {
            query?: {
                continuationToken?: string;
                top?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of deliveries */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        continuationToken: string | null;
                        items: {
                            attempts: {
                                at: string;
                                attempt: number;
                                /** @description why no status came back (refused, timeout, network) */
                                error: string | null;
                                /** @description the HTTP status the webhook answered */
                                status: number | null;
                            }[];
                            createdAt: string;
                            /** @description the X-MPS-Delivery header: the same for every attempt of a delivery */
                            deliveryId: string;
                            /** @description null for a test delivery */
                            event: {
                                actor: string | null;
                                at: string;
                                delegate: {
                                    address: string;
                                    displayName: string;
                                    id: string;
                                    upn: string;
                                };
                                mailbox: {
                                    address: string;
                                    displayName: string;
                                    id: string;
                                };
                                /**
                                 * @description fullScan: a scheduled or manual run; auditEvent: a re-read the audit feed triggered; manual: the API
                                 * @enum {string}
                                 */
                                observedBy: "fullScan" | "auditEvent" | "manual";
                                /** @enum {string} */
                                right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                                runId: string | null;
                                /** @enum {string} */
                                source: "MailboxPermissionSync" | "Manual";
                                /** @enum {string} */
                                type: "granted";
                                via: ({
                                    /** @enum {string} */
                                    kind: "direct";
                                } | {
                                    displayName: string;
                                    id: string;
                                    /** @enum {string} */
                                    kind: "group";
                                })[];
                            } | null;
                            nextAttemptAt: string | null;
                            reason: string | null;
                            ruleId: string;
                            /** @enum {string} */
                            state: "pending" | "delivered" | "abandoned" | "failed";
                            test: boolean;
                        }[];
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    testAlertRule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The test delivery, delivered or failed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        attempts: {
                            at: string;
                            attempt: number;
                            /** @description why no status came back (refused, timeout, network) */
                            error: string | null;
                            /** @description the HTTP status the webhook answered */
                            status: number | null;
                        }[];
                        createdAt: string;
                        /** @description the X-MPS-Delivery header: the same for every attempt of a delivery */
                        deliveryId: string;
                        /** @description null for a test delivery */
                        event: {
                            actor: string | null;
                            at: string;
                            delegate: {
                                address: string;
                                displayName: string;
                                id: string;
                                upn: string;
                            };
                            mailbox: {
                                address: string;
                                displayName: string;
                                id: string;
                            };
                            /**
                             * @description fullScan: a scheduled or manual run; auditEvent: a re-read the audit feed triggered; manual: the API
                             * @enum {string}
                             */
                            observedBy: "fullScan" | "auditEvent" | "manual";
                            /** @enum {string} */
                            right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                            runId: string | null;
                            /** @enum {string} */
                            source: "MailboxPermissionSync" | "Manual";
                            /** @enum {string} */
                            type: "granted";
                            via: ({
                                /** @enum {string} */
                                kind: "direct";
                            } | {
                                displayName: string;
                                id: string;
                                /** @enum {string} */
                                kind: "group";
                            })[];
                        } | null;
                        nextAttemptAt: string | null;
                        reason: string | null;
                        ruleId: string;
                        /** @enum {string} */
                        state: "pending" | "delivered" | "abandoned" | "failed";
                        test: boolean;
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    getAuditFeed: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The feed's state */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        checkpoint: string | null;
                        checkpointLostAt: string | null;
                        contentType: string;
                        gaps: {
                            detectedAt: string;
                            from: string;
                            to: string;
                        }[];
                        lagSeconds: number | null;
                        last24h: {
                            failedPolls: number;
                            ignored: {
                                failedOperation: number;
                                notPermissionChange: number;
                                systemActor: number;
                            };
                            mailboxesQueued: number;
                            outsideScope: number;
                            permissionHints: number;
                            recordsRead: number;
                            throttledPolls: number;
                            unreadableRecords: number;
                            unresolvedMailboxes: number;
                        };
                        lastPoll: {
                            at: string;
                            error: string | null;
                            /** @enum {string} */
                            outcome: "succeeded" | "throttled" | "failed";
                        } | null;
                        newestRecordAt: string | null;
                        subscription: {
                            confirmedAt: string | null;
                            /** @enum {string} */
                            status: "enabled" | "unknown";
                        };
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description No tenant is configured (CONFIG.NO_TENANT) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    consoleAssets: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The rest of the path, slashes included; empty for the index */
                path: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    consoleConfig: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Sign-in settings for MSAL */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        authority: string;
                        clientId: string;
                        scopes: string[];
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Console sign-in is not configured (CONSOLE_CLIENT_ID unset) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    listDelegationChanges: {
        parameters: {
            query?: {
                continuationToken?: string;
                delegate?: string;
                mailbox?: string;
                since?: string;
                top?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of events */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        continuationToken: string | null;
                        items: {
                            /** @description Who made the change, when known (an audit record’s UserId, or the admin) */
                            actor: string | null;
                            at: string;
                            delegate: {
                                address: string;
                                displayName: string;
                                id: string;
                                upn: string;
                            };
                            mailbox: {
                                address: string;
                                displayName: string;
                                id: string;
                            };
                            /**
                             * @description A full scan, an audit-triggered re-read, or an admin’s call to this API
                             * @enum {string}
                             */
                            observedBy: "fullScan" | "auditEvent" | "manual";
                            /** @enum {string} */
                            right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                            runId: string | null;
                            /** @enum {string} */
                            source: "MailboxPermissionSync" | "Manual";
                            taskId: string | null;
                            /** @enum {string} */
                            type: "granted" | "revoked";
                            via: ({
                                /** @enum {string} */
                                kind: "direct";
                            } | {
                                displayName: string;
                                id: string;
                                /** @enum {string} */
                                kind: "group";
                            })[];
                        }[];
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    diagnostics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The checklist */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        checks: {
                            detail: string;
                            fix?: string;
                            name: string;
                            /** @enum {string} */
                            status: "pass" | "fail";
                        }[];
                        /** @enum {string} */
                        status: "pass" | "fail";
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    searchDirectoryGroups: {
        parameters: {
            query?: {
                search?: string;
                top?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Matching groups */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        continuationToken: string | null;
                        items: {
                            displayName: string;
                            id: string;
                            mail: string | null;
                            onPremisesSamAccountName: string | null;
                            /** @enum {string} */
                            source: "synced" | "cloud";
                        }[];
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    getDirectoryGroup: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The group */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        displayName: string;
                        id: string;
                        mail: string | null;
                        onPremisesSamAccountName: string | null;
                        /** @enum {string} */
                        source: "synced" | "cloud";
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description No such group in the directory (GROUP.NOT_FOUND) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description All checks pass */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        checks: {
                            [key: string]: string;
                        };
                        /** @enum {string} */
                        status: "ok";
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description A dependency is unreachable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    getMailboxDelegates: {
        parameters: {
            query?: {
                at?: string;
                continuationToken?: string;
                format?: "json" | "csv";
                top?: number;
            };
            header?: never;
            path: {
                mailbox: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The delegates; with ?at=, as they stood then */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        continuationToken: string | null;
                        items: {
                            delegate: {
                                accountEnabled: boolean | null;
                                address: string;
                                displayName: string;
                                id: string;
                                upn: string;
                            };
                            rights: {
                                firstSeen: string;
                                /** @description When it was granted, from the same source as grantedBy */
                                grantedAt: string | null;
                                /** @description Who granted it (an audit record’s UserId, or the admin), when known */
                                grantedBy: string | null;
                                lastConfirmed: string;
                                /** @description When a sync last read this right of the mailbox and found it so (synced rights; null if not known) */
                                lastVerified: string | null;
                                /** @enum {string} */
                                right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                                /** @enum {string} */
                                source: "MailboxPermissionSync" | "Manual";
                                via: ({
                                    /** @enum {string} */
                                    kind: "direct";
                                } | {
                                    displayName: string;
                                    id: string;
                                    /** @enum {string} */
                                    kind: "group";
                                })[];
                            }[];
                        }[];
                    } | {
                        asOf: string;
                        complete: boolean;
                        continuationToken: string | null;
                        historyCompleteFrom: string | null;
                        items: {
                            delegate: {
                                address: string;
                                displayName: string;
                                id: string;
                                upn: string;
                            };
                            rights: {
                                firstSeen?: string;
                                /** @description Who granted it (the grant event’s actor), when known */
                                grantedBy?: string | null;
                                /**
                                 * @description How the grant was seen
                                 * @enum {string}
                                 */
                                observedBy?: "fullScan" | "auditEvent" | "manual";
                                /** @enum {string} */
                                right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                                /** @enum {string} */
                                source: "MailboxPermissionSync" | "Manual";
                                via?: ({
                                    /** @enum {string} */
                                    kind: "direct";
                                } | {
                                    displayName: string;
                                    id: string;
                                    /** @enum {string} */
                                    kind: "group";
                                })[];
                            }[];
                        }[];
                    };
                };
            };
            /** @description Not modified */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A malformed or future ?at= */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Unknown mailbox */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    getMyDelegateMailboxes: {
        parameters: {
            query?: {
                continuationToken?: string;
                format?: "json" | "csv";
                top?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The caller’s mailboxes */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        continuationToken: string | null;
                        items: {
                            mailbox: {
                                address: string;
                                displayName: string;
                                id: string;
                            };
                            rights: {
                                firstSeen: string;
                                /** @description When it was granted, from the same source as grantedBy */
                                grantedAt: string | null;
                                /** @description Who granted it (an audit record’s UserId, or the admin), when known */
                                grantedBy: string | null;
                                lastConfirmed: string;
                                /** @description When a sync last read this right of the mailbox and found it so (synced rights; null if not known) */
                                lastVerified: string | null;
                                /** @enum {string} */
                                right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                                /** @enum {string} */
                                source: "MailboxPermissionSync" | "Manual";
                                via: ({
                                    /** @enum {string} */
                                    kind: "direct";
                                } | {
                                    displayName: string;
                                    id: string;
                                    /** @enum {string} */
                                    kind: "group";
                                })[];
                            }[];
                        }[];
                    };
                };
            };
            /** @description Not modified */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    openapi: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OpenAPI 3.1 JSON */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    listSchedules: {
        parameters: {
            query?: {
                continuationToken?: string;
                top?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of schedules */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        continuationToken: string | null;
                        items: {
                            createdAt: string;
                            /** @description weekly */
                            daysOfWeek?: ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[];
                            description: string;
                            /** @description mode many: HH:mm */
                            endTime?: string;
                            id: string;
                            /** @description mode many */
                            intervalMinutes?: number;
                            /**
                             * @description daily and weekly
                             * @enum {string}
                             */
                            mode?: "once" | "many";
                            /** @description oneOff: local date and time, YYYY-MM-DDTHH:mm */
                            runAt?: string;
                            /** @description daily and weekly: HH:mm */
                            startTime?: string;
                            summary: string;
                            timeZone: string;
                            /** @enum {string} */
                            type: "oneOff" | "daily" | "weekly";
                            updatedAt: string;
                        }[];
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    createSchedule: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    description: string;
                    runAt: string;
                    timeZone: string;
                    /** @enum {string} */
                    type: "oneOff";
                } | ({
                    description: string;
                    /** @enum {string} */
                    mode: "once";
                    startTime: string;
                    timeZone: string;
                    /** @enum {string} */
                    type: "daily";
                } | {
                    description: string;
                    endTime: string;
                    intervalMinutes: number;
                    /** @enum {string} */
                    mode: "many";
                    startTime: string;
                    timeZone: string;
                    /** @enum {string} */
                    type: "daily";
                }) | ({
                    daysOfWeek: ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[];
                    description: string;
                    /** @enum {string} */
                    mode: "once";
                    startTime: string;
                    timeZone: string;
                    /** @enum {string} */
                    type: "weekly";
                } | {
                    daysOfWeek: ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[];
                    description: string;
                    endTime: string;
                    intervalMinutes: number;
                    /** @enum {string} */
                    mode: "many";
                    startTime: string;
                    timeZone: string;
                    /** @enum {string} */
                    type: "weekly";
                });
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt: string;
                        /** @description weekly */
                        daysOfWeek?: ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[];
                        description: string;
                        /** @description mode many: HH:mm */
                        endTime?: string;
                        id: string;
                        /** @description mode many */
                        intervalMinutes?: number;
                        /**
                         * @description daily and weekly
                         * @enum {string}
                         */
                        mode?: "once" | "many";
                        /** @description oneOff: local date and time, YYYY-MM-DDTHH:mm */
                        runAt?: string;
                        /** @description daily and weekly: HH:mm */
                        startTime?: string;
                        summary: string;
                        timeZone: string;
                        /** @enum {string} */
                        type: "oneOff" | "daily" | "weekly";
                        updatedAt: string;
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    getSchedule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The schedule */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt: string;
                        /** @description weekly */
                        daysOfWeek?: ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[];
                        description: string;
                        /** @description mode many: HH:mm */
                        endTime?: string;
                        id: string;
                        /** @description mode many */
                        intervalMinutes?: number;
                        /**
                         * @description daily and weekly
                         * @enum {string}
                         */
                        mode?: "once" | "many";
                        /** @description oneOff: local date and time, YYYY-MM-DDTHH:mm */
                        runAt?: string;
                        /** @description daily and weekly: HH:mm */
                        startTime?: string;
                        summary: string;
                        timeZone: string;
                        /** @enum {string} */
                        type: "oneOff" | "daily" | "weekly";
                        updatedAt: string;
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    updateSchedule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    description: string;
                    runAt: string;
                    timeZone: string;
                    /** @enum {string} */
                    type: "oneOff";
                } | ({
                    description: string;
                    /** @enum {string} */
                    mode: "once";
                    startTime: string;
                    timeZone: string;
                    /** @enum {string} */
                    type: "daily";
                } | {
                    description: string;
                    endTime: string;
                    intervalMinutes: number;
                    /** @enum {string} */
                    mode: "many";
                    startTime: string;
                    timeZone: string;
                    /** @enum {string} */
                    type: "daily";
                }) | ({
                    daysOfWeek: ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[];
                    description: string;
                    /** @enum {string} */
                    mode: "once";
                    startTime: string;
                    timeZone: string;
                    /** @enum {string} */
                    type: "weekly";
                } | {
                    daysOfWeek: ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[];
                    description: string;
                    endTime: string;
                    intervalMinutes: number;
                    /** @enum {string} */
                    mode: "many";
                    startTime: string;
                    timeZone: string;
                    /** @enum {string} */
                    type: "weekly";
                });
            };
        };
        responses: {
            /** @description The updated schedule */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt: string;
                        /** @description weekly */
                        daysOfWeek?: ("mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun")[];
                        description: string;
                        /** @description mode many: HH:mm */
                        endTime?: string;
                        id: string;
                        /** @description mode many */
                        intervalMinutes?: number;
                        /**
                         * @description daily and weekly
                         * @enum {string}
                         */
                        mode?: "once" | "many";
                        /** @description oneOff: local date and time, YYYY-MM-DDTHH:mm */
                        runAt?: string;
                        /** @description daily and weekly: HH:mm */
                        startTime?: string;
                        summary: string;
                        timeZone: string;
                        /** @enum {string} */
                        type: "oneOff" | "daily" | "weekly";
                        updatedAt: string;
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    deleteSchedule: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Used by a task */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    listTasks: {
        parameters: {
            query?: {
                continuationToken?: string;
                top?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of tasks */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        continuationToken: string | null;
                        items: {
                            createdAt: string;
                            description: string;
                            enabled: boolean;
                            id: string;
                            lastRun: {
                                delegationsAdded: number;
                                delegationsRemoved: number;
                                error: string | null;
                                finishedAt: string | null;
                                mailboxesDone: number;
                                mailboxesFailed: number;
                                mailboxesTotal: number;
                                runId: string;
                                startedAt: string | null;
                                /** @enum {string} */
                                status: "queued" | "expanding" | "running" | "succeeded" | "completedWithErrors" | "needsReview" | "failed" | "skipped";
                                /**
                                 * @description The last run that read the task’s whole target: never an audit run
                                 * @enum {string}
                                 */
                                trigger: "schedule" | "manual" | "auditEvent";
                            } | null;
                            nextDueAt: string | null;
                            nextDueAtLocal: string | null;
                            rights: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                            /** @description null: the schedule is gone */
                            schedule: {
                                summary: string;
                                timeZone: string;
                            } | null;
                            scheduleId: string;
                            target: {
                                groupId: string;
                                /** @enum {string} */
                                kind: "group";
                            } | {
                                dn: string;
                                /** @enum {string} */
                                kind: "groupDn";
                            } | {
                                email: string;
                                /** @enum {string} */
                                kind: "groupEmail";
                            } | {
                                /** @enum {string} */
                                kind: "mailboxes";
                                mailboxes: string[];
                            };
                            /** @enum {string} */
                            type: "mailboxPermissionSync";
                            updatedAt: string;
                        }[];
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    createTask: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    description: string;
                    /** @default true */
                    enabled?: boolean;
                    /**
                     * @default [
                     *       "FullAccess",
                     *       "SendAs",
                     *       "SendOnBehalf",
                     *       "CalendarDelegate"
                     *     ]
                     */
                    rights?: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                    scheduleId: string;
                    target: {
                        groupId: string;
                        /** @enum {string} */
                        kind: "group";
                    } | {
                        dn: string;
                        /** @enum {string} */
                        kind: "groupDn";
                    } | {
                        email: string;
                        /** @enum {string} */
                        kind: "groupEmail";
                    } | {
                        /** @enum {string} */
                        kind: "mailboxes";
                        mailboxes: string[];
                    };
                    /**
                     * @default mailboxPermissionSync
                     * @enum {string}
                     */
                    type?: "mailboxPermissionSync";
                };
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt: string;
                        description: string;
                        enabled: boolean;
                        id: string;
                        lastRun: {
                            delegationsAdded: number;
                            delegationsRemoved: number;
                            error: string | null;
                            finishedAt: string | null;
                            mailboxesDone: number;
                            mailboxesFailed: number;
                            mailboxesTotal: number;
                            runId: string;
                            startedAt: string | null;
                            /** @enum {string} */
                            status: "queued" | "expanding" | "running" | "succeeded" | "completedWithErrors" | "needsReview" | "failed" | "skipped";
                            /**
                             * @description The last run that read the task’s whole target: never an audit run
                             * @enum {string}
                             */
                            trigger: "schedule" | "manual" | "auditEvent";
                        } | null;
                        nextDueAt: string | null;
                        nextDueAtLocal: string | null;
                        rights: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                        /** @description null: the schedule is gone */
                        schedule: {
                            summary: string;
                            timeZone: string;
                        } | null;
                        scheduleId: string;
                        target: {
                            groupId: string;
                            /** @enum {string} */
                            kind: "group";
                        } | {
                            dn: string;
                            /** @enum {string} */
                            kind: "groupDn";
                        } | {
                            email: string;
                            /** @enum {string} */
                            kind: "groupEmail";
                        } | {
                            /** @enum {string} */
                            kind: "mailboxes";
                            mailboxes: string[];
                        };
                        /** @enum {string} */
                        type: "mailboxPermissionSync";
                        updatedAt: string;
                    };
                };
            };
            /** @description Invalid body or unknown schedule */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    getTask: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The task */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt: string;
                        description: string;
                        enabled: boolean;
                        id: string;
                        lastRun: {
                            delegationsAdded: number;
                            delegationsRemoved: number;
                            error: string | null;
                            finishedAt: string | null;
                            mailboxesDone: number;
                            mailboxesFailed: number;
                            mailboxesTotal: number;
                            runId: string;
                            startedAt: string | null;
                            /** @enum {string} */
                            status: "queued" | "expanding" | "running" | "succeeded" | "completedWithErrors" | "needsReview" | "failed" | "skipped";
                            /**
                             * @description The last run that read the task’s whole target: never an audit run
                             * @enum {string}
                             */
                            trigger: "schedule" | "manual" | "auditEvent";
                        } | null;
                        nextDueAt: string | null;
                        nextDueAtLocal: string | null;
                        rights: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                        /** @description null: the schedule is gone */
                        schedule: {
                            summary: string;
                            timeZone: string;
                        } | null;
                        scheduleId: string;
                        target: {
                            groupId: string;
                            /** @enum {string} */
                            kind: "group";
                        } | {
                            dn: string;
                            /** @enum {string} */
                            kind: "groupDn";
                        } | {
                            email: string;
                            /** @enum {string} */
                            kind: "groupEmail";
                        } | {
                            /** @enum {string} */
                            kind: "mailboxes";
                            mailboxes: string[];
                        };
                        /** @enum {string} */
                        type: "mailboxPermissionSync";
                        updatedAt: string;
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    updateTask: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    description: string;
                    /** @default true */
                    enabled?: boolean;
                    /**
                     * @default [
                     *       "FullAccess",
                     *       "SendAs",
                     *       "SendOnBehalf",
                     *       "CalendarDelegate"
                     *     ]
                     */
                    rights?: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                    scheduleId: string;
                    target: {
                        groupId: string;
                        /** @enum {string} */
                        kind: "group";
                    } | {
                        dn: string;
                        /** @enum {string} */
                        kind: "groupDn";
                    } | {
                        email: string;
                        /** @enum {string} */
                        kind: "groupEmail";
                    } | {
                        /** @enum {string} */
                        kind: "mailboxes";
                        mailboxes: string[];
                    };
                    /**
                     * @default mailboxPermissionSync
                     * @enum {string}
                     */
                    type?: "mailboxPermissionSync";
                };
            };
        };
        responses: {
            /** @description The updated task */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt: string;
                        description: string;
                        enabled: boolean;
                        id: string;
                        lastRun: {
                            delegationsAdded: number;
                            delegationsRemoved: number;
                            error: string | null;
                            finishedAt: string | null;
                            mailboxesDone: number;
                            mailboxesFailed: number;
                            mailboxesTotal: number;
                            runId: string;
                            startedAt: string | null;
                            /** @enum {string} */
                            status: "queued" | "expanding" | "running" | "succeeded" | "completedWithErrors" | "needsReview" | "failed" | "skipped";
                            /**
                             * @description The last run that read the task’s whole target: never an audit run
                             * @enum {string}
                             */
                            trigger: "schedule" | "manual" | "auditEvent";
                        } | null;
                        nextDueAt: string | null;
                        nextDueAtLocal: string | null;
                        rights: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                        /** @description null: the schedule is gone */
                        schedule: {
                            summary: string;
                            timeZone: string;
                        } | null;
                        scheduleId: string;
                        target: {
                            groupId: string;
                            /** @enum {string} */
                            kind: "group";
                        } | {
                            dn: string;
                            /** @enum {string} */
                            kind: "groupDn";
                        } | {
                            email: string;
                            /** @enum {string} */
                            kind: "groupEmail";
                        } | {
                            /** @enum {string} */
                            kind: "mailboxes";
                            mailboxes: string[];
                        };
                        /** @enum {string} */
                        type: "mailboxPermissionSync";
                        updatedAt: string;
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    deleteTask: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    runTaskNow: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Run queued */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        runId: string;
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description A run is already active */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    listRuns: {
        parameters: {
            query?: {
                continuationToken?: string;
                top?: number;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of runs */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        continuationToken: string | null;
                        items: ({
                            createdAt: string;
                            delegationsAdded: number;
                            delegationsRemoved: number;
                            error: string | null;
                            finishedAt: string | null;
                            heldRights: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                            mailboxesDone: number;
                            mailboxesFailed: number;
                            mailboxesSkipped: number;
                            mailboxesTotal: number;
                            /** @description What an administrator decided about the held revocations */
                            review: {
                                applied: number;
                                at: string;
                                /** @description The administrator (sign-in name or object id) or calling app's client id */
                                by: string;
                                /** @enum {string} */
                                decision: "applied" | "dismissed";
                                /** @description Held revocations a later sync had re-observed (or that were gone), left alone */
                                skipped: number;
                            } | null;
                            /** @description Revocations held back for review (status needsReview) */
                            revocationsHeld: number;
                            /** @description Mailbox rights that could not be read, left as stored */
                            rightsNotRead: number;
                            runId: string;
                            scheduledFor: string | null;
                            /** @description Members not scanned, per reason, e.g. noExchangeMailbox */
                            skippedByReason: {
                                [key: string]: number;
                            };
                            startedAt: string | null;
                            /** @enum {string} */
                            status: "queued" | "expanding" | "running" | "succeeded" | "completedWithErrors" | "needsReview" | "failed" | "skipped";
                            taskId: string;
                            /**
                             * @description auditEvent: the change feed re-read a few mailboxes of the task that audit records named
                             * @enum {string}
                             */
                            trigger: "schedule" | "manual" | "auditEvent";
                            trusteesUnresolved: number;
                            /** @description Readable reasons for an administrator, e.g. why it holds revocations */
                            warnings: string[];
                        } & {
                            [key: string]: unknown;
                        })[];
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    getRun: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                runId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The run */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        createdAt: string;
                        delegationsAdded: number;
                        delegationsRemoved: number;
                        error: string | null;
                        finishedAt: string | null;
                        heldRights: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                        mailboxesDone: number;
                        mailboxesFailed: number;
                        mailboxesSkipped: number;
                        mailboxesTotal: number;
                        /** @description What an administrator decided about the held revocations */
                        review: {
                            applied: number;
                            at: string;
                            /** @description The administrator (sign-in name or object id) or calling app's client id */
                            by: string;
                            /** @enum {string} */
                            decision: "applied" | "dismissed";
                            /** @description Held revocations a later sync had re-observed (or that were gone), left alone */
                            skipped: number;
                        } | null;
                        /** @description Revocations held back for review (status needsReview) */
                        revocationsHeld: number;
                        /** @description Mailbox rights that could not be read, left as stored */
                        rightsNotRead: number;
                        runId: string;
                        scheduledFor: string | null;
                        /** @description Members not scanned, per reason, e.g. noExchangeMailbox */
                        skippedByReason: {
                            [key: string]: number;
                        };
                        startedAt: string | null;
                        /** @enum {string} */
                        status: "queued" | "expanding" | "running" | "succeeded" | "completedWithErrors" | "needsReview" | "failed" | "skipped";
                        taskId: string;
                        /**
                         * @description auditEvent: the change feed re-read a few mailboxes of the task that audit records named
                         * @enum {string}
                         */
                        trigger: "schedule" | "manual" | "auditEvent";
                        trusteesUnresolved: number;
                        /** @description Readable reasons for an administrator, e.g. why it holds revocations */
                        warnings: string[];
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    listHeldRevocations: {
        parameters: {
            query?: {
                continuationToken?: string;
                top?: number;
            };
            header?: never;
            path: {
                id: string;
                runId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of held revocations */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        continuationToken: string | null;
                        items: {
                            /** @description Who removed it in Exchange, when an audit record said */
                            actor: string | null;
                            delegate: {
                                accountEnabled?: boolean;
                                address: string;
                                displayName: string;
                                id: string;
                                upn: string;
                            };
                            firstSeen: string;
                            grantedAt: string | null;
                            /** @description Who granted it, when known */
                            grantedBy: string | null;
                            lastConfirmed: string;
                            mailbox: {
                                address: string;
                                displayName: string;
                                id: string;
                            };
                            /**
                             * @description notObserved: the sync no longer saw it in Exchange; readEmpty: its mailbox read no delegation at all while it held many (always held); leftScope: its mailbox left every task's scope
                             * @enum {string}
                             */
                            reason: "notObserved" | "readEmpty" | "leftScope";
                            /** @enum {string} */
                            right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                            /** @enum {string} */
                            source: "MailboxPermissionSync";
                            via: ({
                                /** @enum {string} */
                                kind: "direct";
                            } | {
                                displayName: string;
                                id: string;
                                /** @enum {string} */
                                kind: "group";
                            })[];
                        }[];
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description No such task or run (RUN.NOT_FOUND) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    applyHeldRevocations: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                runId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The reviewed run; how many revocations were applied and how many skipped */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        applied: number;
                        run: {
                            createdAt: string;
                            delegationsAdded: number;
                            delegationsRemoved: number;
                            error: string | null;
                            finishedAt: string | null;
                            heldRights: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                            mailboxesDone: number;
                            mailboxesFailed: number;
                            mailboxesSkipped: number;
                            mailboxesTotal: number;
                            /** @description What an administrator decided about the held revocations */
                            review: {
                                applied: number;
                                at: string;
                                /** @description The administrator (sign-in name or object id) or calling app's client id */
                                by: string;
                                /** @enum {string} */
                                decision: "applied" | "dismissed";
                                /** @description Held revocations a later sync had re-observed (or that were gone), left alone */
                                skipped: number;
                            } | null;
                            /** @description Revocations held back for review (status needsReview) */
                            revocationsHeld: number;
                            /** @description Mailbox rights that could not be read, left as stored */
                            rightsNotRead: number;
                            runId: string;
                            scheduledFor: string | null;
                            /** @description Members not scanned, per reason, e.g. noExchangeMailbox */
                            skippedByReason: {
                                [key: string]: number;
                            };
                            startedAt: string | null;
                            /** @enum {string} */
                            status: "queued" | "expanding" | "running" | "succeeded" | "completedWithErrors" | "needsReview" | "failed" | "skipped";
                            taskId: string;
                            /**
                             * @description auditEvent: the change feed re-read a few mailboxes of the task that audit records named
                             * @enum {string}
                             */
                            trigger: "schedule" | "manual" | "auditEvent";
                            trusteesUnresolved: number;
                            /** @description Readable reasons for an administrator, e.g. why it holds revocations */
                            warnings: string[];
                        } & {
                            [key: string]: unknown;
                        };
                        skipped: number;
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description No such task or run (RUN.NOT_FOUND) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The run is not waiting for review (RUN.NOT_IN_REVIEW) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    dismissHeldRevocations: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
                runId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The reviewed run and how many held revocations were dropped */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        dismissed: number;
                        run: {
                            createdAt: string;
                            delegationsAdded: number;
                            delegationsRemoved: number;
                            error: string | null;
                            finishedAt: string | null;
                            heldRights: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                            mailboxesDone: number;
                            mailboxesFailed: number;
                            mailboxesSkipped: number;
                            mailboxesTotal: number;
                            /** @description What an administrator decided about the held revocations */
                            review: {
                                applied: number;
                                at: string;
                                /** @description The administrator (sign-in name or object id) or calling app's client id */
                                by: string;
                                /** @enum {string} */
                                decision: "applied" | "dismissed";
                                /** @description Held revocations a later sync had re-observed (or that were gone), left alone */
                                skipped: number;
                            } | null;
                            /** @description Revocations held back for review (status needsReview) */
                            revocationsHeld: number;
                            /** @description Mailbox rights that could not be read, left as stored */
                            rightsNotRead: number;
                            runId: string;
                            scheduledFor: string | null;
                            /** @description Members not scanned, per reason, e.g. noExchangeMailbox */
                            skippedByReason: {
                                [key: string]: number;
                            };
                            startedAt: string | null;
                            /** @enum {string} */
                            status: "queued" | "expanding" | "running" | "succeeded" | "completedWithErrors" | "needsReview" | "failed" | "skipped";
                            taskId: string;
                            /**
                             * @description auditEvent: the change feed re-read a few mailboxes of the task that audit records named
                             * @enum {string}
                             */
                            trigger: "schedule" | "manual" | "auditEvent";
                            trusteesUnresolved: number;
                            /** @description Readable reasons for an administrator, e.g. why it holds revocations */
                            warnings: string[];
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description No such task or run (RUN.NOT_FOUND) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The run is not waiting for review (RUN.NOT_IN_REVIEW) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    listRunMailboxes: {
        parameters: {
            query?: {
                continuationToken?: string;
                status?: "pending" | "done" | "failed";
                top?: number;
            };
            header?: never;
            path: {
                id: string;
                runId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of mailbox outcomes */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        continuationToken: string | null;
                        items: ({
                            address: string;
                            delegationsAdded: number;
                            delegationsRemoved: number;
                            displayName: string;
                            error: string | null;
                            mailboxId: string;
                            revocationsProposed: number;
                            /** @description Rights left as stored */
                            rightsNotRead: {
                                reason: string;
                                /** @enum {string} */
                                right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                            }[];
                            settledAt: string | null;
                            /** @enum {string} */
                            status: "pending" | "done" | "failed";
                            trusteesUnresolved: number;
                            /** @description Exchange warnings met while reading the mailbox */
                            warnings: string[];
                        } & {
                            [key: string]: unknown;
                        })[];
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
        };
    };
    getUserDelegateMailboxes: {
        parameters: {
            query?: {
                at?: string;
                continuationToken?: string;
                format?: "json" | "csv";
                top?: number;
            };
            header?: never;
            path: {
                user: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The mailboxes (JSON list or CSV); with ?at=, as they stood then */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        continuationToken: string | null;
                        items: {
                            mailbox: {
                                address: string;
                                displayName: string;
                                id: string;
                            };
                            rights: {
                                firstSeen: string;
                                /** @description When it was granted, from the same source as grantedBy */
                                grantedAt: string | null;
                                /** @description Who granted it (an audit record’s UserId, or the admin), when known */
                                grantedBy: string | null;
                                lastConfirmed: string;
                                /** @description When a sync last read this right of the mailbox and found it so (synced rights; null if not known) */
                                lastVerified: string | null;
                                /** @enum {string} */
                                right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                                /** @enum {string} */
                                source: "MailboxPermissionSync" | "Manual";
                                via: ({
                                    /** @enum {string} */
                                    kind: "direct";
                                } | {
                                    displayName: string;
                                    id: string;
                                    /** @enum {string} */
                                    kind: "group";
                                })[];
                            }[];
                        }[];
                    } | {
                        asOf: string;
                        complete: boolean;
                        continuationToken: string | null;
                        historyCompleteFrom: string | null;
                        items: {
                            mailbox: {
                                address: string;
                                displayName: string;
                                id: string;
                            };
                            rights: {
                                firstSeen?: string;
                                /** @description Who granted it (the grant event’s actor), when known */
                                grantedBy?: string | null;
                                /**
                                 * @description How the grant was seen
                                 * @enum {string}
                                 */
                                observedBy?: "fullScan" | "auditEvent" | "manual";
                                /** @enum {string} */
                                right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                                /** @enum {string} */
                                source: "MailboxPermissionSync" | "Manual";
                                via?: ({
                                    /** @enum {string} */
                                    kind: "direct";
                                } | {
                                    displayName: string;
                                    id: string;
                                    /** @enum {string} */
                                    kind: "group";
                                })[];
                            }[];
                        }[];
                    };
                };
            };
            /** @description Not modified (If-None-Match) */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A malformed or future ?at= */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Unknown user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    addManualDelegation: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                user: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    mailbox: string;
                    rights: ("FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate")[];
                };
            };
        };
        responses: {
            /** @description The user’s rights on that mailbox */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        mailbox: {
                            address: string;
                            displayName: string;
                            id: string;
                        };
                        rights: {
                            firstSeen: string;
                            /** @description When it was granted, from the same source as grantedBy */
                            grantedAt: string | null;
                            /** @description Who granted it (an audit record’s UserId, or the admin), when known */
                            grantedBy: string | null;
                            lastConfirmed: string;
                            /** @description When a sync last read this right of the mailbox and found it so (synced rights; null if not known) */
                            lastVerified: string | null;
                            /** @enum {string} */
                            right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                            /** @enum {string} */
                            source: "MailboxPermissionSync" | "Manual";
                            via: ({
                                /** @enum {string} */
                                kind: "direct";
                            } | {
                                displayName: string;
                                id: string;
                                /** @enum {string} */
                                kind: "group";
                            })[];
                        }[];
                    };
                };
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The tenant has no such user or mailbox */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    removeManualDelegation: {
        parameters: {
            query?: {
                right?: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
            };
            header?: never;
            path: {
                mailbox: string;
                user: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Removed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description No such delegation */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The delegation comes from Exchange (synced) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    getUserFootprint: {
        parameters: {
            query?: {
                format?: "json" | "csv";
            };
            header?: never;
            path: {
                user: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The footprint (JSON or CSV with a section column) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        canOpen: {
                            mailbox: {
                                address: string;
                                displayName: string;
                                id: string;
                            };
                            rights: {
                                firstSeen: string;
                                /** @description When it was granted, from the same source as grantedBy */
                                grantedAt: string | null;
                                /** @description Who granted it (an audit record’s UserId, or the admin), when known */
                                grantedBy: string | null;
                                lastConfirmed: string;
                                /** @description When a sync last read this right of the mailbox and found it so (synced rights; null if not known) */
                                lastVerified: string | null;
                                /** @enum {string} */
                                right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                                /** @enum {string} */
                                source: "MailboxPermissionSync" | "Manual";
                                via: ({
                                    /** @enum {string} */
                                    kind: "direct";
                                } | {
                                    displayName: string;
                                    id: string;
                                    /** @enum {string} */
                                    kind: "group";
                                })[];
                            }[];
                        }[];
                        onOwnMailbox: {
                            delegate: {
                                accountEnabled: boolean | null;
                                address: string;
                                displayName: string;
                                id: string;
                                upn: string;
                            };
                            rights: {
                                firstSeen: string;
                                /** @description When it was granted, from the same source as grantedBy */
                                grantedAt: string | null;
                                /** @description Who granted it (an audit record’s UserId, or the admin), when known */
                                grantedBy: string | null;
                                lastConfirmed: string;
                                /** @description When a sync last read this right of the mailbox and found it so (synced rights; null if not known) */
                                lastVerified: string | null;
                                /** @enum {string} */
                                right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                                /** @enum {string} */
                                source: "MailboxPermissionSync" | "Manual";
                                via: ({
                                    /** @enum {string} */
                                    kind: "direct";
                                } | {
                                    displayName: string;
                                    id: string;
                                    /** @enum {string} */
                                    kind: "group";
                                })[];
                            }[];
                        }[];
                        throughGroups: {
                            group: {
                                displayName: string;
                                id: string;
                            };
                            mailboxes: {
                                mailbox: {
                                    address: string;
                                    displayName: string;
                                    id: string;
                                };
                                rights: {
                                    /** @enum {string} */
                                    right: "FullAccess" | "SendAs" | "SendOnBehalf" | "CalendarDelegate";
                                    /** @enum {string} */
                                    source: "MailboxPermissionSync" | "Manual";
                                }[];
                            }[];
                        }[];
                        user: {
                            address: string;
                            displayName: string;
                            id: string;
                            upn: string;
                        };
                    };
                };
            };
            /** @description Not modified (If-None-Match) */
            304: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Invalid request (problem+json with field errors) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Missing or invalid bearer token */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description The token lacks the required role */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": {
                        code?: string;
                        detail: string;
                        errors?: {
                            message: string;
                            path: string;
                        }[];
                        status: number;
                        title: string;
                        type: string;
                    };
                };
            };
            /** @description Unknown user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
