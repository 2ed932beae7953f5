// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderWithApp } from '../../../test-utils';
import { tableNameOf, UploadForm } from './upload-form';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
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

  it('proposes a table name from the file name', () => {
    expect(tableNameOf('Orders 2024.csv')).toBe('orders_2024');
    expect(tableNameOf('2024-sales.ndjson')).toBe('_2024_sales');
  });
});
