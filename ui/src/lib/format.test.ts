import { describe, expect, it } from "vitest";
import { credentialLabels, environmentName, formatWait, groupsOfFour, venueName } from "./format";

describe("format", () => {
  it("counts down in seconds, then minutes", () => {
    expect(formatWait(30)).toBe("30 s");
    expect(formatWait(0.2)).toBe("1 s");
    expect(formatWait(-5)).toBe("0 s");
    expect(formatWait(65)).toBe("1 min 05 s");
    expect(formatWait(3600)).toBe("60 min 00 s");
  });

  it("groups a base32 secret by four", () => {
    expect(groupsOfFour("ABCDEFGHIJ")).toBe("ABCD EFGH IJ");
    expect(groupsOfFour("ABCD")).toBe("ABCD");
  });

  it("names venues, environments and their credential fields", () => {
    expect(venueName("okx")).toBe("OKX");
    expect(environmentName("testnet")).toBe("Testnet");
    expect(credentialLabels("okx").passphrase).toBe(true);
    expect(credentialLabels("deribit").key).toBe("Client ID");
    expect(credentialLabels("binance_usdm").passphrase).toBe(false);
  });
});
