#!/usr/bin/env node
// Executable for @temporalio/testing (`server.executable: { type: 'existing-path', path }`): sdk-core
// spawns it directly, without a shell. tsx is registered in this process (no child process, so the
// SDK's SIGKILL stops the server) and resolved from this project's node_modules.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
