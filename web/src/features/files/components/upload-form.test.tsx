// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeApi, me, renderWithApp } from '../../../test-utils';
import { tableNameOf, UploadForm } from './upload-form';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const chooseFile = async (name: string) => {
  const input = document.querySelector('input[type=file]') as HTMLInputElement;
  const file = new File(['id,name\n1,a\n'], name, { type: 'text/csv' });
  await userEvent.upload(input, file);
};

describe('UploadForm', () => {
  it('refuses to send without a table name, and says so next to the field', async () => {
    const send = vi.spyOn(XMLHttpRequest.prototype, 'send');
    renderWithApp(<UploadForm onUploaded={() => undefined} />);
    await chooseFile('orders.csv');
    const table = screen.getByLabelText(/Table/);
    await vi.waitFor(() => expect((table as HTMLInputElement).value).toBe('orders'));
    fireEvent.change(table, { target: { value: '' } });
    await userEvent.click(screen.getByRole('button', { name: 'Upload' }));
    expect(await screen.findByText('Name the table the rows go to')).toBeTruthy();
    expect(table.getAttribute('aria-invalid')).toBe('true');
    expect(send).not.toHaveBeenCalled();
  });

  it('refuses to send without a file', async () => {
    const send = vi.spyOn(XMLHttpRequest.prototype, 'send');
    renderWithApp(<UploadForm onUploaded={() => undefined} />);
    await userEvent.type(screen.getByLabelText(/Table/), 'orders');
    await userEvent.click(screen.getByRole('button', { name: 'Upload' }));
    expect(await screen.findByText('Choose a file to upload')).toBeTruthy();
    expect(send).not.toHaveBeenCalled();
  });

  it("refuses a file larger than the server's upload limit before sending it, and says both sizes", async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = fakeApi({ 'GET /api/auth/me': me('editor', { uploadMaxBytes: 1024 * 1024 }) });
    vi.stubGlobal('fetch', api.fetch);
    const send = vi.spyOn(XMLHttpRequest.prototype, 'send');
    renderWithApp(<UploadForm onUploaded={() => undefined} />);
    // The limit is known once the session has answered.
    expect(await screen.findByText('CSV, TSV, JSON, NDJSON or Excel (.xlsx), up to 1 MB')).toBeTruthy();
    const input = document.querySelector('input[type=file]') as HTMLInputElement;
    await userEvent.upload(input, new File(['x'.repeat(1536 * 1024)], 'big.csv', { type: 'text/csv' }));
    const message = 'big.csv is 1.5 MB; this server takes files up to 1 MB. Split it, or ask an administrator to raise SLUICE_MAX_UPLOAD_MB.';
    expect(await screen.findByText(message)).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Upload' }));
    expect(screen.getByText(message)).toBeTruthy();
    expect(send).not.toHaveBeenCalled();

    // A file within the limit goes.
    send.mockImplementation(() => undefined);
    await userEvent.upload(input, new File(['id\n1\n'], 'small.csv', { type: 'text/csv' }));
    expect(screen.queryByText(message)).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Upload' }));
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('proposes a table name from the file name', () => {
    expect(tableNameOf('Orders 2024.csv')).toBe('orders_2024');
    expect(tableNameOf('2024-sales.ndjson')).toBe('_2024_sales');
  });
});
