#!/usr/bin/env node
import { main } from 'dbt-product-kit/run/cli';

process.exitCode = await main(process.argv.slice(2));
