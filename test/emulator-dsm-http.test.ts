import { describe, expect, it } from "vitest";
import {
  EmulatorHttpError,
  EmulatorHttpServer,
  emulatorAuthScheme,
  emulatorHttpGet,
  parseEmulatorBasicAuth,
  parseEmulatorBearerAuth,
  parseEmulatorJsonBody,
  readEmulatorJsonBody,
  sendEmulatorJson,
} from "../components/emulators/http";

describe("emulator http helpers", () => {
  it("parses Basic and Bearer headers and names the scheme only", () => {
    const header = `Basic ${Buffer.from("app-id:se:cret").toString("base64")}`;
    expect(parseEmulatorBasicAuth(header)).toEqual({ user: "app-id", password: "se:cret" });
    expect(parseEmulatorBasicAuth(`Basic ${Buffer.from("no-colon").toString("base64")}`)).toBeUndefined();
    expect(parseEmulatorBasicAuth("Bearer abc")).toBeUndefined();
    expect(parseEmulatorBearerAuth("Bearer abc.def")).toBe("abc.def");
    expect(parseEmulatorBearerAuth(header)).toBeUndefined();
    expect([header, "bearer x", undefined, "Digest y"].map(emulatorAuthScheme)).toEqual(["Basic", "Bearer", "none", "other"]);
  });

  it("parses JSON bodies: empty is undefined, malformed is a 400", () => {
    expect(parseEmulatorJsonBody(Buffer.from(""))).toBeUndefined();
    expect(parseEmulatorJsonBody(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    let caught: unknown;
    try {
      parseEmulatorJsonBody(Buffer.from("{"));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EmulatorHttpError);
    expect((caught as EmulatorHttpError).status).toBe(400);
  });

  it("serves on 127.0.0.1 with a random port, turns listener errors into a 500, and stops cleanly", async () => {
    const server = new EmulatorHttpServer(async (req, res) => {
      if (req.url === "/boom") throw new Error("kaput");
      sendEmulatorJson(res, 200, { echo: await readEmulatorJsonBody(req) });
    });
    const url = await server.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.port).toBe(Number(url.split(":")[2]));
    await expect(server.start()).rejects.toThrow("emulator server already started");
    const ok = await fetch(url, { method: "POST", body: '{"x":true}' });
    expect(await ok.json()).toEqual({ echo: { x: true } });
    const boom = await emulatorHttpGet(`${url}/boom`);
    expect(boom).toMatchObject({ status: 500, body: "emulator error: kaput" });
    await server.stop();
    await server.stop();
    expect(server.listening).toBe(false);
    expect(() => server.url).toThrow("emulator server not started: call start() first");
    await expect(emulatorHttpGet(url)).rejects.toThrow();
  });

  it("refuses URL schemes other than http and https", async () => {
    await expect(emulatorHttpGet("ftp://127.0.0.1/x")).rejects.toThrow("unsupported URL scheme in ftp://127.0.0.1/x: only http and https");
  });
});
