/**
 * A small fake of Amazon ECS's JSON protocol (awsJson1_1 over HTTP), enough
 * for Airflow's EcsRunTaskOperator: RunTask, DescribeTasks (its tasks_stopped
 * waiter polls it), StopTask and ListTasks. Nothing here runs containers:
 * RunTask "runs" the task definition's container as a local process (its
 * entry point, the command the task's overrides give or its own, its
 * environment with the overrides' on top, in its working folder), and the
 * task is RUNNING until that process exits, then STOPPED with the process's
 * exit code, as ECS reports an essential container that exited. A task
 * definition can instead fail to start (as with an image that cannot be
 * pulled): STOPPED, stopCode TaskFailedToStart, no exit code. Unknown
 * clusters and task definitions are ECS's own errors. The container's output
 * is kept on the run, not sent to CloudWatch Logs.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execa } from 'execa';

const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';

export interface FakeContainer {
  /** The image's entry point and default command (the Dockerfile's ENTRYPOINT and CMD). */
  entryPoint: string[];
  command: string[];
  /** The task definition's environment, and the folder the image's WORKDIR stands for. */
  environment: Record<string, string>;
  cwd: string;
}

export interface FakeTaskDefinition {
  containers: Record<string, FakeContainer>;
  /** The task never starts: ECS's stoppedReason, e.g. a CannotPullContainerError. */
  failToStart?: string;
}

export interface FakeEcsOptions {
  region: string;
  account: string;
  clusters: string[];
  /** By family (the name a workflow gives as task_definition). */
  taskDefinitions: Record<string, FakeTaskDefinition>;
}

/** One container the fake ran: what it was asked to run, and how it ended. */
export interface FakeContainerRun {
  taskArn: string;
  container: string;
  argv: string[];
  /** The environment overrides the task was given (not the definition's). */
  overrides: Record<string, string>;
  exitCode?: number;
  output?: string;
}

interface Container {
  name: string;
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  exitCode?: number;
  reason?: string;
}

interface Task {
  arn: string;
  cluster: string;
  definition: string;
  startedBy?: string;
  createdAt: number;
  lastStatus: 'PROVISIONING' | 'RUNNING' | 'STOPPED';
  stopCode?: string;
  stoppedReason?: string;
  stoppedAt?: number;
  containers: Container[];
}

class EcsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

interface ContainerOverride {
  name?: string;
  command?: string[];
  environment?: { name: string; value: string }[];
}

export class FakeEcs {
  readonly runs: FakeContainerRun[] = [];
  /** The operations served, in order (e.g. RunTask, DescribeTasks...). */
  readonly calls: string[] = [];
  private readonly tasks = new Map<string, Task>();
  private readonly processes = new Set<Promise<unknown>>();
  private readonly server: Server;
  private port = 0;

  constructor(private readonly options: FakeEcsOptions) {
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  /** Registers (or replaces) a task definition: a test turns one into an image that cannot be pulled. */
  define(family: string, definition: FakeTaskDefinition): void {
    this.options.taskDefinitions[family] = definition;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.processes]);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private clusterArn(name: string) {
    return `arn:aws:ecs:${this.options.region}:${this.options.account}:cluster/${name}`;
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
    this.calls.push(operation);
    let status = 200;
    let body: unknown;
    try {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      body = this.operate(operation, input);
    } catch (error) {
      status = 400;
      const type = error instanceof EcsError ? error.type : 'InvalidParameterException';
      body = { __type: type, message: (error as Error).message };
    }
    response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
    response.end(JSON.stringify(body));
  }

  private operate(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'RunTask':
        return this.runTask(input);
      case 'DescribeTasks':
        return this.describeTasks(input);
      case 'StopTask':
        return this.stopTask(input);
      case 'ListTasks':
        return this.listTasks(input);
      default:
        throw new EcsError('UnknownOperationException', `the fake does not serve ${operation}`);
    }
  }

  private cluster(input: Record<string, unknown>): string {
    const given = String(input.cluster ?? 'default');
    const name = given.split('/').at(-1) ?? given;
    if (!this.options.clusters.includes(name)) throw new EcsError('ClusterNotFoundException', 'Cluster not found.');
    return name;
  }

  private runTask(input: Record<string, unknown>) {
    const cluster = this.cluster(input);
    const family =
      String(input.taskDefinition ?? '')
        .split('/')
        .at(-1)
        ?.split(':')[0] ?? '';
    const definition = this.options.taskDefinitions[family];
    if (!definition)
      throw new EcsError('ClientException', `Unable to describe task definition ${String(input.taskDefinition)}.`);
    const id = randomUUID().replaceAll('-', '');
    const task: Task = {
      arn: `arn:aws:ecs:${this.options.region}:${this.options.account}:task/${cluster}/${id}`,
      cluster,
      definition: `arn:aws:ecs:${this.options.region}:${this.options.account}:task-definition/${family}:1`,
      startedBy: input.startedBy === undefined ? undefined : String(input.startedBy),
      createdAt: Date.now() / 1000,
      lastStatus: 'PROVISIONING',
      containers: Object.keys(definition.containers).map((name) => ({ name, lastStatus: 'PENDING' })),
    };
    this.tasks.set(task.arn, task);
    if (definition.failToStart) {
      Object.assign(task, {
        lastStatus: 'STOPPED',
        stopCode: 'TaskFailedToStart',
        stoppedReason: definition.failToStart,
        stoppedAt: Date.now() / 1000,
      });
      for (const container of task.containers)
        Object.assign(container, { lastStatus: 'STOPPED', reason: 'never started' });
    } else {
      const overrides = (input.overrides as { containerOverrides?: ContainerOverride[] } | undefined)
        ?.containerOverrides;
      for (const [name, container] of Object.entries(definition.containers)) {
        this.startContainer(
          task,
          name,
          container,
          overrides?.find((override) => override.name === name),
        );
      }
      task.lastStatus = 'RUNNING';
    }
    return { tasks: [this.shape(task)], failures: [] };
  }

  private startContainer(task: Task, name: string, container: FakeContainer, override?: ContainerOverride) {
    const overrides = Object.fromEntries((override?.environment ?? []).map((pair) => [pair.name, pair.value]));
    const argv = [...container.entryPoint, ...(override?.command ?? container.command)];
    const run: FakeContainerRun = { taskArn: task.arn, container: name, argv, overrides };
    this.runs.push(run);
    const state = task.containers.find((each) => each.name === name) as Container;
    state.lastStatus = 'RUNNING';
    const [file, ...args] = argv;
    const child = execa(file as string, args, {
      cwd: container.cwd,
      env: { ...container.environment, ...overrides },
      extendEnv: false,
      reject: false,
      all: true,
      stdin: 'ignore',
    }).then((result) => {
      run.exitCode = result.exitCode ?? 137;
      run.output = result.all ?? '';
      Object.assign(state, { lastStatus: 'STOPPED', exitCode: run.exitCode });
      if (task.containers.every((each) => each.lastStatus === 'STOPPED')) {
        Object.assign(task, {
          lastStatus: 'STOPPED',
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
          stoppedAt: Date.now() / 1000,
        });
      }
    });
    this.processes.add(child);
  }

  private describeTasks(input: Record<string, unknown>) {
    this.cluster(input);
    const tasks: unknown[] = [];
    const failures: unknown[] = [];
    for (const arn of (input.tasks as string[] | undefined) ?? []) {
      const task = this.tasks.get(arn) ?? [...this.tasks.values()].find((each) => each.arn.endsWith(`/${arn}`));
      if (task) tasks.push(this.shape(task));
      else failures.push({ arn, reason: 'MISSING' });
    }
    return { tasks, failures };
  }

  private stopTask(input: Record<string, unknown>) {
    this.cluster(input);
    const task = this.tasks.get(String(input.task));
    if (!task) throw new EcsError('InvalidParameterException', 'The referenced task was not found.');
    return { task: this.shape(task) };
  }

  private listTasks(input: Record<string, unknown>) {
    const cluster = this.cluster(input);
    const taskArns = [...this.tasks.values()]
      .filter((task) => task.cluster === cluster && task.lastStatus !== 'STOPPED')
      .filter((task) => input.startedBy === undefined || task.startedBy === input.startedBy)
      .map((task) => task.arn);
    return { taskArns };
  }

  /** A task as DescribeTasks and RunTask answer it. */
  private shape(task: Task) {
    return {
      taskArn: task.arn,
      clusterArn: this.clusterArn(task.cluster),
      taskDefinitionArn: task.definition,
      launchType: 'FARGATE',
      lastStatus: task.lastStatus,
      desiredStatus: task.lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
      createdAt: task.createdAt,
      ...(task.startedBy === undefined ? {} : { startedBy: task.startedBy }),
      ...(task.stopCode
        ? { stopCode: task.stopCode, stoppedReason: task.stoppedReason, stoppedAt: task.stoppedAt }
        : {}),
      containers: task.containers.map((container) => ({
        containerArn: `${task.arn.replace(':task/', ':container/')}/${container.name}`,
        taskArn: task.arn,
        name: container.name,
        lastStatus: container.lastStatus,
        ...(container.exitCode === undefined ? {} : { exitCode: container.exitCode }),
        ...(container.reason ? { reason: container.reason } : {}),
      })),
    };
  }
}

export async function startFakeEcs(options: FakeEcsOptions): Promise<FakeEcs> {
  return new FakeEcs(options).start();
}
