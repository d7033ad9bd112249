import { DskeError } from './errors';

/** One-time pad: data XOR pad. The pad must be exactly as long as the data. */
export function otpXor(data: Uint8Array, pad: Uint8Array): Uint8Array {
  if (data.length !== pad.length) {
    throw new DskeError('otp.length-mismatch', `one-time pad is ${pad.length} bytes but data is ${data.length} bytes`);
  }
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ pad[i];
  return out;
}
