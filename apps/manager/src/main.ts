#!/usr/bin/env node
// Placeholder entry replaced by the manager implementation.
