/** What the notification channels keep of a provider's answer (activities/notifications/channels.ts). */
import { describe, expect, it } from 'vitest';
import { clip } from '../../activities/notifications/channels';

describe('provider answers as kept and logged', () => {
  it('mask the mobile numbers, e-mail addresses and ID numbers a provider echoes, and are bounded', () => {
    expect(clip('{"code":"isv.MOBILE_NUMBER_ILLEGAL","message":"13912345678 非法"}')).toBe('{"code":"isv.MOBILE_NUMBER_ILLEGAL","message":"139****5678 非法"}');
    expect(clip('550 5.1.1 <wang.lei@example.gov.cn>: Recipient address rejected')).toBe('550 5.1.1 <***@example.gov.cn>: Recipient address rejected');
    expect(clip('id 64010419580312122X')).toBe('id 640104********122X');
    expect(clip('x'.repeat(600))).toHaveLength(501);
  });
});
