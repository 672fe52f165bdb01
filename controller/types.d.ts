// asterisk-manager ships no types; this is the part of its API the project uses.
declare module 'asterisk-manager' {
  interface AmiResponse {
    response?: string;
    message?: string;
    content?: string;
    output?: string | string[];
    [key: string]: unknown;
  }
  interface Manager {
    on(event: string, listener: (...args: never[]) => void): void;
    action(action: Record<string, string | number>, cb: (err: AmiResponse | undefined, res: AmiResponse) => void): string;
    disconnect(): void;
    isConnected(): boolean;
  }
  function AsteriskManager(port: number, host: string, user: string, secret: string, events: boolean): Manager;
  export = AsteriskManager;
}
