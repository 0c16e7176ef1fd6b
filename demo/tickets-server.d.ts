// Types of the demo tickets upstream (a plain ESM JavaScript file so it runs without tsx).
export function startTicketsServer(opts?: {
  host?: string;
  port?: number;
}): Promise<{ url: string; close: () => Promise<void> }>;
