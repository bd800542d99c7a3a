#!/usr/bin/env node
import { main } from 'dbt-product-kit/scaffold/cli';

process.exitCode = await main(process.argv.slice(2));
